package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/loadertest"
)

// BenchmarkAINAllocation allocates AINs through the API (POST /v1/ain,
// audited) in one run on: a single node (the local AIN store, a synced
// commit per allocation; the file audit log, an fsync per batch); a fleet
// replica on an embedded single-node JetStream (R1); three replicas on an
// in-process 3-node cluster (R3), the clients spread over them. 48 clients
// over one shared transport; b.N allocations in each; allocs/s reported.
//
//	go test -run '^$' -bench '^BenchmarkAINAllocation$' -benchtime 3000x ./cmd/grunndata/
func BenchmarkAINAllocation(b *testing.B) {
	prod, _ := loadertest.Snapshot(b)
	b.Run("single-node", func(b *testing.B) {
		m := MustRunMain(b, prod, nil)
		benchAllocate(b, []*Main{m})
	})
	b.Run("fleet-R1", func(b *testing.B) {
		ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: b.TempDir(), Addr: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		defer ns.Shutdown()
		benchAllocate(b, publishedFleet(b, ns.ClientURL(), prod, 1))
	})
	b.Run("fleet-R3", func(b *testing.B) {
		urls, _ := startCluster(b)
		benchAllocate(b, publishedFleet(b, urls, prod, 3))
	})
}

// publishedFleet publishes prod's generation and starts n replicas serving
// it.
func publishedFleet(b *testing.B, urls, prod string, n int) []*Main {
	c, err := fleet.Connect(fleet.Config{URL: urls, Replicas: n, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	publishRetry(b, c, prod, "000001")
	var reps []*Main
	for i := 0; i < n; i++ {
		reps = append(reps, MustRunMain(b, b.TempDir(), func(c *ServeConfig) {
			c.Fleet = FleetConfig{URL: urls, Replica: fmt.Sprintf("bench%d", i), Replicas: n,
				Heartbeat: time.Second, Poll: 200 * time.Millisecond, RetryAfter: time.Second}
		}))
	}
	waitServing(b, testwait.Bound, "000001", reps...)
	return reps
}

func benchAllocate(b *testing.B, reps []*Main) {
	const clients = 48
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < clients; w++ {
		url := "http://" + reps[w%len(reps)].APIAddr() + "/v1/ain"
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				res, err := cl.Post(url, "application/json", strings.NewReader(`{"givenName":"Ukjent","familyName":"Benk"}`))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 201 {
					b.Errorf("allocate: %d", res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "allocs/s")
}
