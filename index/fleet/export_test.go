package fleet

import (
	"bytes"
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// PutRawObject overwrites an object of the generations' store (tests of
// corrupt content).
func PutRawObject(ctx context.Context, url, name string, data []byte) error {
	c, err := Connect(Config{URL: url})
	if err != nil {
		return err
	}
	defer c.Close()
	o, err := c.objects(ctx)
	if err != nil {
		return err
	}
	_, err = o.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data))
	return err
}

// Pending is the number of records waiting for the flusher to take them.
func (a *Auditor) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.cur.entries)
}
