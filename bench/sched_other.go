//go:build !linux

package bench

import "time"

// cpuSetBusy is not measured on this platform.
func cpuSetBusy() (cpus int, busy time.Duration) { return 0, 0 }
