// Package useslib counts requests with the metrics library.
package useslib

import "example.com/metricslib"

// Handle counts one request.
func Handle() { metricslib.Inc("requests") }
