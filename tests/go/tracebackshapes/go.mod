module example.com/tracebackshapes

go 1.27
