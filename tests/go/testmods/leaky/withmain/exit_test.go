package withmain

import "os"

// exit ends the test process; TestMain calls it from another file.
func exit(code int) { os.Exit(code) }
