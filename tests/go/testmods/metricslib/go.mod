module example.com/metricslib

go 1.22
