package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/index"
)

// Bucket names and keys.
const (
	ObjectBucket  = "grunndata-generations"
	PointerBucket = "grunndata-fleet"
	ReplicaBucket = "grunndata-replicas"
	AINBucket     = "grunndata-ain"
	PointerKey    = "active"
	// chunkSize is the object store's chunk size.
	chunkSize = 1 << 20
)

// Config configures a connection to the fleet's NATS.
type Config struct {
	// URL is one or more comma-separated nats:// URLs.
	URL string
	// Replicas is the replication factor of the buckets this client
	// creates when they do not exist yet: 1 on a single node, 3 on a
	// production cluster (docs/fleet.md).
	Replicas int
	// Timeout bounds each request (default 5 s).
	Timeout time.Duration
	// HeartbeatTTL is the replica bucket's TTL, set when it is created
	// (default 15 s).
	HeartbeatTTL time.Duration
	// Name names the connection (shown by NATS monitoring).
	Name string
	// Retry keeps connecting in the background when NATS does not answer
	// (a replica serves its last good generation meanwhile); without it
	// Connect fails at once with an error naming the URL (the CLI).
	Retry bool
	Log   *slog.Logger
}

// Client is a connection to the fleet's JetStream.
type Client struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger

	mu      sync.Mutex
	buckets map[string]jetstream.KeyValue
	obs     jetstream.ObjectStore
}

// ErrNotPublished reports a generation that is not in the object store.
var ErrNotPublished = errors.New("not published in the fleet's object store")

// Connect connects to NATS.
func Connect(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("fleet: no NATS URL")
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.HeartbeatTTL <= 0 {
		cfg.HeartbeatTTL = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	log := cfg.Log
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.Timeout(2 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected; serving what this process has", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "server", nc.ConnectedUrlRedacted()) }),
	}
	if cfg.Retry {
		opts = append(opts, nats.RetryOnFailedConnect(true))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("NATS at %s does not answer: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(cfg.Timeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream at %s: %w", cfg.URL, err)
	}
	return &Client{cfg: cfg, nc: nc, js: js, log: log, buckets: map[string]jetstream.KeyValue{}}, nil
}

// Close closes the connection.
func (c *Client) Close() { c.nc.Close() }

// Connected reports whether the connection is up now.
func (c *Client) Connected() bool { return c.nc.IsConnected() }

// URL is the URL the client was configured with.
func (c *Client) URL() string { return c.cfg.URL }

func (c *Client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, c.cfg.Timeout)
}

// kv opens bucket, creating it with cfg when it does not exist.
func (c *Client) kv(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	c.mu.Lock()
	kv := c.buckets[cfg.Bucket]
	c.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	kv, err := c.js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		cfg.Replicas, cfg.Storage = c.cfg.Replicas, jetstream.FileStorage
		kv, err = c.js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = c.js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	c.mu.Lock()
	c.buckets[cfg.Bucket] = kv
	c.mu.Unlock()
	return kv, nil
}

func (c *Client) pointerKV(ctx context.Context) (jetstream.KeyValue, error) {
	return c.kv(ctx, jetstream.KeyValueConfig{Bucket: PointerBucket, History: 16,
		Description: "grunndata: the fleet's active generation"})
}

func (c *Client) replicaKV(ctx context.Context) (jetstream.KeyValue, error) {
	return c.kv(ctx, jetstream.KeyValueConfig{Bucket: ReplicaBucket, History: 1, TTL: c.cfg.HeartbeatTTL,
		Description: "grunndata: replica heartbeats"})
}

func (c *Client) ainKV(ctx context.Context) (jetstream.KeyValue, error) {
	return c.kv(ctx, jetstream.KeyValueConfig{Bucket: AINBucket, History: 1,
		Description: "grunndata: allocated AINs (felles hjelpenummer)"})
}

// objects opens the generations' object store, creating it if needed.
func (c *Client) objects(ctx context.Context) (jetstream.ObjectStore, error) {
	c.mu.Lock()
	o := c.obs
	c.mu.Unlock()
	if o != nil {
		return o, nil
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	o, err := c.js.ObjectStore(ctx, ObjectBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		o, err = c.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: ObjectBucket,
			Storage: jetstream.FileStorage, Replicas: c.cfg.Replicas, Description: "grunndata: snapshot generation files"})
		if errors.Is(err, jetstream.ErrBucketExists) {
			o, err = c.js.ObjectStore(ctx, ObjectBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", ObjectBucket, err)
	}
	c.mu.Lock()
	c.obs = o
	c.mu.Unlock()
	return o, nil
}

func fileObject(sha string) string     { return "sha256/" + sha }
func manifestObject(gen string) string { return "manifest/" + gen }

// Pointer is the fleet's active generation.
type Pointer struct {
	Generation string `json:"generation"`
	// History is the activation stack rollback walks back along, oldest
	// first; its last entry is Generation.
	History []string  `json:"history"`
	At      time.Time `json:"at"`
	By      string    `json:"by,omitempty"`
	// Revision is the KV revision the pointer was read at (0: none set).
	Revision uint64 `json:"-"`
}

const maxPointerHistory = 64

// Pointer reads the fleet's active generation (zero Pointer when none was
// ever set).
func (c *Client) Pointer(ctx context.Context) (Pointer, error) {
	kv, err := c.pointerKV(ctx)
	if err != nil {
		return Pointer{}, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	e, err := kv.Get(ctx, PointerKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Pointer{}, nil
	}
	if err != nil {
		return Pointer{}, fmt.Errorf("read the fleet pointer: %w", err)
	}
	var p Pointer
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return Pointer{}, fmt.Errorf("the fleet pointer (revision %d) is not valid JSON: %w", e.Revision(), err)
	}
	if !index.ValidID(p.Generation) {
		return Pointer{}, fmt.Errorf("the fleet pointer (revision %d) names %q, not a generation id", e.Revision(), p.Generation)
	}
	p.Revision = e.Revision()
	return p, nil
}

// movePointer applies change to the pointer with compare-and-set on its
// revision, retrying when another writer moved it in between.
func (c *Client) movePointer(ctx context.Context, change func(p *Pointer) error) (Pointer, error) {
	kv, err := c.pointerKV(ctx)
	if err != nil {
		return Pointer{}, err
	}
	for try := 0; ; try++ {
		p, err := c.Pointer(ctx)
		if err != nil {
			return p, err
		}
		rev := p.Revision
		if err := change(&p); err != nil {
			return p, err
		}
		if len(p.History) > maxPointerHistory {
			p.History = p.History[len(p.History)-maxPointerHistory:]
		}
		p.At = time.Now().UTC()
		b, _ := json.Marshal(p)
		cctx, cancel := c.ctx(ctx)
		if rev == 0 {
			p.Revision, err = kv.Create(cctx, PointerKey, b)
		} else {
			p.Revision, err = kv.Update(cctx, PointerKey, b, rev)
		}
		cancel()
		if err == nil {
			return p, nil
		}
		if try < 20 && (errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err)) {
			continue // moved by someone else: read again
		}
		return p, fmt.Errorf("move the fleet pointer: %w", err)
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == 10164)
}

// Activate makes gen the fleet's active generation (compare-and-set),
// after checking that it is published completely.
func (c *Client) Activate(ctx context.Context, gen, by string) (Pointer, error) {
	if !index.ValidID(gen) {
		return Pointer{}, fmt.Errorf("%q is not a generation id", gen)
	}
	if _, _, err := c.PublishedManifest(ctx, gen, true); err != nil {
		return Pointer{}, err
	}
	return c.movePointer(ctx, func(p *Pointer) error {
		if p.Generation != gen {
			p.Generation = gen
			p.History = append(p.History, gen)
		}
		p.By = by
		return nil
	})
}

// ErrNoFleetRollback reports a rollback with no earlier fleet generation.
var ErrNoFleetRollback = errors.New("no earlier fleet generation to roll back to")

// Rollback moves the fleet back to the generation active before the
// current one (popping the history).
func (c *Client) Rollback(ctx context.Context, by string) (Pointer, error) {
	return c.movePointer(ctx, func(p *Pointer) error {
		if len(p.History) < 2 {
			return ErrNoFleetRollback
		}
		p.History = p.History[:len(p.History)-1]
		p.Generation = p.History[len(p.History)-1]
		p.By = by
		return nil
	})
}

// PublishedManifest returns the manifest of gen from the object store, and
// its bytes. With files, it also checks that every file it lists is there.
func (c *Client) PublishedManifest(ctx context.Context, gen string, files bool) (*index.Manifest, []byte, error) {
	o, err := c.objects(ctx)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := c.ctx(ctx)
	b, err := o.GetBytes(cctx, manifestObject(gen))
	cancel()
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil, fmt.Errorf("generation %s: %w", gen, ErrNotPublished)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the manifest of %s: %w", gen, err)
	}
	m, err := parseManifest(gen, b)
	if err != nil {
		return nil, nil, err
	}
	if files {
		for _, f := range m.Files {
			cctx, cancel := c.ctx(ctx)
			info, err := o.GetInfo(cctx, fileObject(f.SHA256))
			cancel()
			if err != nil {
				return nil, nil, fmt.Errorf("generation %s: file %s: %w", gen, f.Name, err)
			}
			if int64(info.Size) != f.Size {
				return nil, nil, fmt.Errorf("generation %s: file %s has %d bytes in the object store, the manifest says %d", gen, f.Name, info.Size, f.Size)
			}
		}
	}
	return m, b, nil
}

func parseManifest(gen string, b []byte) (*index.Manifest, error) {
	var m index.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the published manifest of %s is not valid JSON: %w", gen, err)
	}
	switch {
	case m.Generation != gen:
		return nil, fmt.Errorf("the published manifest of %s names generation %q", gen, m.Generation)
	case m.FormatVersion != index.FormatVersion:
		return nil, fmt.Errorf("the published manifest of %s has format version %d, want %d", gen, m.FormatVersion, index.FormatVersion)
	case len(m.Files) == 0:
		return nil, fmt.Errorf("the published manifest of %s lists no files (built before manifests had checksums)", gen)
	}
	for _, f := range m.Files {
		if f.Name == "" || f.Name != baseName(f.Name) || f.Name == index.ManifestName || strings.HasPrefix(f.Name, ".") ||
			len(f.SHA256) != 64 || f.Size < 0 {
			return nil, fmt.Errorf("the published manifest of %s lists a bad file entry %q", gen, f.Name)
		}
	}
	return &m, nil
}

func baseName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Generations lists the published generations (those whose manifest is
// in the object store), ascending.
func (c *Client) Generations(ctx context.Context) ([]string, error) {
	o, err := c.objects(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := c.ctx(ctx)
	defer cancel()
	infos, err := o.List(cctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the object store: %w", err)
	}
	var gens []string
	for _, in := range infos {
		if g, ok := strings.CutPrefix(in.Name, "manifest/"); ok && !in.Deleted {
			gens = append(gens, g)
		}
	}
	sort.Strings(gens)
	return gens, nil
}

// Lag counts the published generations between have and want: how many
// generations a replica serving have is behind (or ahead of, after a
// rollback) the fleet's want. 0 when they are equal.
func Lag(published []string, have, want string) int {
	if have == want {
		return 0
	}
	upTo := func(g string) int { return sort.SearchStrings(published, g+"\x00") }
	d := upTo(want) - upTo(have)
	if d < 0 {
		d = -d
	}
	return max(d, 1)
}

// Heartbeat is one replica's state, as stored in the replica bucket.
type Heartbeat struct {
	Replica    string    `json:"replica"`
	API        string    `json:"api,omitempty"`
	Generation string    `json:"generation"`
	Fleet      string    `json:"fleetGeneration"`
	Lag        int       `json:"lag"`
	State      string    `json:"state"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
	// Age is how long ago the heartbeat was written (Replicas fills it).
	Age time.Duration `json:"-"`
}

// Beat writes a replica's heartbeat.
func (c *Client) Beat(ctx context.Context, hb Heartbeat) error {
	kv, err := c.replicaKV(ctx)
	if err != nil {
		return err
	}
	hb.At = time.Now().UTC()
	b, _ := json.Marshal(hb)
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	_, err = kv.Put(ctx, hb.Replica, b)
	return err
}

// Replicas lists the heartbeats of every live replica (those whose last
// heartbeat is younger than the bucket's TTL), by name.
func (c *Client) Replicas(ctx context.Context) ([]Heartbeat, error) {
	kv, err := c.replicaKV(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var out []Heartbeat
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("list replicas: %w", ctx.Err())
		case e := <-w.Updates():
			if e == nil { // all current values delivered
				sort.Slice(out, func(i, j int) bool { return out[i].Replica < out[j].Replica })
				return out, nil
			}
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var hb Heartbeat
			if json.Unmarshal(e.Value(), &hb) != nil {
				continue
			}
			hb.Age = time.Since(e.Created())
			out = append(out, hb)
		}
	}
}

// ValidReplicaName reports whether s can name a replica (a KV key).
func ValidReplicaName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
