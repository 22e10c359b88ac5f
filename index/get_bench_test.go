package index_test

import (
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
