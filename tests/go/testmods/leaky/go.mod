module example.com/leaky

go 1.22

require example.com/metricslib v0.0.0

replace example.com/metricslib => ../metricslib
