//go:build linux

package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/stat (USER_HZ, 100 on every Linux we run on).
const userHZ = 100

// cpuSetBusy returns how many CPUs this process may run on and how long
// they have been busy (user, nice, system and steal time of /proc/stat),
// whoever ran on them. Interrupt time is left out: much of it is the
// kernel delivering the generator's own packets, charged to no process. Compared with the process's own CPU
// time it tells whether other processes competed with the generator.
func cpuSetBusy() (cpus int, busy time.Duration) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, 0
	}
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 9 || !strings.HasPrefix(fields[0], "cpu") || fields[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(fields[0][3:])
		if err != nil || !set.IsSet(n) {
			continue
		}
		cpus++
		// user nice system idle iowait irq softirq steal
		for _, i := range []int{1, 2, 3, 8} {
			v, _ := strconv.ParseInt(fields[i], 10, 64)
			busy += time.Duration(v) * time.Second / userHZ
		}
	}
	return cpus, busy
}
