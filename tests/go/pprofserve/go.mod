module example.com/pprofserve

go 1.27
