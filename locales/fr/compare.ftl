availability-sliver = { $percent } (< 0.01 % d’indisponibilité)
