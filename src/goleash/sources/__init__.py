"""Where dumps come from: files, standard input, pprof HTTP endpoints, processes."""
