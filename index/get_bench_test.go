package index_test

import (
	"sync/atomic"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// BenchmarkGenGet is one point read of the miss path: a Pebble Get on a
// generation of 100 000 keys with ~1 KB values, block cache warm.
//
//	go test -run '^$' -bench GenGet -benchmem ./index/
func BenchmarkGenGet(b *testing.B) {
	dir := b.TempDir()
	cfg := index.DefaultBuilderConfig(dir)
	bl, err := index.NewBuilder(cfg)
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 1000)
	const n = 100000
	for i := 0; i < n; i++ {
		k := registry.SerialKey(registry.RegParty, uint64(i))
		bl.Add(k.Bytes(), val)
	}
	if err := bl.Commit(&index.Manifest{}); err != nil {
		b.Fatal(err)
	}
	if err := index.WriteActive(dir, bl.ID()); err != nil {
		b.Fatal(err)
	}
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	v, _ := s.Acquire()
	defer v.Release()
	var dst []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := registry.SerialKey(registry.RegParty, uint64(i*7919%n))
		if dst, err = v.Get(dst[:0], &k); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAcquireParallel is what every request does to the generation it
// reads: Acquire (a reference and a request counted), Seq (the cache's
// tag), Release, from GOMAXPROCS goroutines at once. Compare cores with
// -cpu: the counters every request writes are where cores contend.
//
//	go test -run '^$' -bench AcquireParallel -benchmem -cpu 1,2 ./index/
func BenchmarkAcquireParallel(b *testing.B) {
	dir := b.TempDir()
	bl, err := index.NewBuilder(index.DefaultBuilderConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	k := registry.SerialKey(registry.RegParty, 1)
	bl.Add(k.Bytes(), []byte("v"))
	if err := bl.Commit(&index.Manifest{}); err != nil {
		b.Fatal(err)
	}
	if err := index.WriteActive(dir, bl.ID()); err != nil {
		b.Fatal(err)
	}
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var seq uint64
		for pb.Next() {
			v, err := s.Acquire()
			if err != nil {
				b.Error(err)
				return
			}
			seq += v.Seq()
			v.Release()
		}
		seqSink.Add(seq)
	})
	if st := s.Generations(); st[0].Requests < int64(b.N) {
		b.Fatalf("%d requests counted, want at least %d", st[0].Requests, b.N)
	}
}

var seqSink atomic.Uint64
