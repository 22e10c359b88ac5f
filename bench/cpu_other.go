//go:build !unix

package bench

import "time"

// cpuTime is not measured on this platform; reports show no generator cost.
func cpuTime() time.Duration { return 0 }
