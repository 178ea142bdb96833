availability-sliver = { $percent } (توقف أقل من 0.01 %)
