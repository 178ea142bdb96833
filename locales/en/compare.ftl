availability-sliver = { $percent } (< 0.01 % down)
