package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/registry/audit"
)

// The fleet's audit log is one JetStream stream, AuditStream, with one
// subject per replica (grunndata.audit.<replica>). Each replica keeps its own
// hash chain on its subject, built with the same code and format as the file
// log (audit.Chain): a message holds one group-committed batch of record
// lines, so a batch is stored whole or not at all.
//
// Every publish carries the stream sequence of the replica's previous
// message as Nats-Expected-Last-Subject-Sequence, so JetStream itself refuses
// a message that would not follow the chain (a second process with the same
// replica id, a batch retried after a timeout that was in fact stored). On a
// refused or unanswered publish the auditor reads its subject's last message
// back: if it is the batch, the batch is stored; otherwise the batch is
// chained again after what the stream holds and published again, until
// AuditConfig.Timeout. Only then do its requests fail (503
// audit_unavailable); the next batch starts by reading the chain back.

// Audit stream and subjects.
const (
	AuditStream  = "GRUNNDATA_AUDIT"
	AuditSubject = "grunndata.audit."
)

// AuditConfig configures a replica's JetStream auditor.
type AuditConfig struct {
	// Replica names the chain (its subject). Empty: SetReplica names it
	// before the first record is published.
	Replica string
	// Timeout bounds how long a batch may take to be acknowledged,
	// retries included, before its requests fail (default: the client's
	// timeout).
	Timeout time.Duration
	// MaxMessageBytes splits larger batches into several messages
	// (default 256 KiB; a production NATS accepts 1 MiB).
	MaxMessageBytes int
	// Observe, as audit.Config.Observe: called after each batch with the
	// time until its acknowledgement, its records and its error.
	Observe func(d time.Duration, records int, err error)
	Log     *slog.Logger
}

// Auditor is audit.Auditor on the fleet's JetStream stream: Record returns
// once the stream has acknowledged the batch holding the record (R3 in
// production: a quorum holds it), and an error when it could not.
type Auditor struct {
	c   *Client
	cfg AuditConfig

	named   chan struct{} // closed once the replica is named
	nameMu  sync.Mutex
	subject string

	mu      sync.Mutex
	cond    *sync.Cond
	cur     *auditBatch
	closed  bool
	closing chan struct{}
	done    chan struct{}

	// flusher only
	stream    jetstream.Stream
	synced    bool
	chain     audit.Chain
	streamSeq uint64 // stream sequence of the subject's last message
	buf       []byte
}

type auditBatch struct {
	entries []*audit.Entry
	times   []time.Time
	done    chan struct{}
	err     error
}

var _ audit.Auditor = (*Auditor)(nil)

// NewAuditor starts a replica's auditor on c. The stream is created (file
// storage, c's replication, deletes and purges refused) when it does not
// exist; the replica's chain continues after its last record in it.
func NewAuditor(c *Client, cfg AuditConfig) (*Auditor, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = c.cfg.Timeout
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 256 << 10
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	a := &Auditor{c: c, cfg: cfg, named: make(chan struct{}), cur: &auditBatch{done: make(chan struct{})},
		closing: make(chan struct{}), done: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	if cfg.Replica != "" {
		if err := a.SetReplica(cfg.Replica); err != nil {
			return nil, err
		}
	}
	go a.flusher()
	return a, nil
}

// SetReplica names the replica whose chain this auditor writes (once).
func (a *Auditor) SetReplica(name string) error {
	if !ValidReplicaName(name) {
		return fmt.Errorf("replica name %q: letters, digits, - and _ only", name)
	}
	a.nameMu.Lock()
	defer a.nameMu.Unlock()
	if a.subject != "" {
		return errors.New("the auditor's replica is named already")
	}
	a.subject = AuditSubject + name
	close(a.named)
	return nil
}

// Record implements audit.Auditor: it returns once the batch holding e is
// acknowledged by the stream, audit.ErrUnavailable when it could not be.
func (a *Auditor) Record(e *audit.Entry) error {
	t := time.Now()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return audit.ErrUnavailable
	}
	b := a.cur
	b.entries = append(b.entries, e)
	b.times = append(b.times, t)
	a.cond.Signal()
	a.mu.Unlock()
	<-b.done
	if b.err != nil {
		return fmt.Errorf("%w: %v", audit.ErrUnavailable, b.err)
	}
	return nil
}

// Close publishes what is pending and stops (the client stays open).
func (a *Auditor) Close() error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.closing)
	}
	a.cond.Signal()
	a.mu.Unlock()
	<-a.done
	return nil
}

func (a *Auditor) flusher() {
	defer close(a.done)
	// Records wait for the replica's name (serve names it once its API
	// port is bound, before it serves), or fail when closed unnamed.
	select {
	case <-a.named:
	case <-a.closing:
		a.mu.Lock()
		b := a.cur
		a.mu.Unlock()
		b.err = errors.New("closed before the replica was named")
		close(b.done)
		return
	}
	a.prepare()
	for {
		a.mu.Lock()
		for len(a.cur.entries) == 0 && !a.closed {
			a.cond.Wait()
		}
		b := a.cur
		if len(b.entries) == 0 {
			a.mu.Unlock()
			return
		}
		a.cur = &auditBatch{done: make(chan struct{}), entries: make([]*audit.Entry, 0, len(b.entries)),
			times: make([]time.Time, 0, len(b.entries))}
		a.mu.Unlock()

		start := time.Now()
		b.err = a.publish(b)
		if a.cfg.Observe != nil {
			a.cfg.Observe(time.Since(start), len(b.entries), b.err)
		}
		if b.err != nil {
			a.cfg.Log.Error("audit stream: a batch was not acknowledged; its requests fail", "records", len(b.entries), "err", b.err)
		}
		close(b.done)
	}
}

// prepare opens the stream (creating it) and reads the replica's chain
// back before the first record comes, so that a new stream's leader
// election (seconds on a loaded R3 cluster) does not fall on the first
// requests. It gives up once records wait (publish retries by itself) or
// the auditor closes.
func (a *Auditor) prepare() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
		err := a.sync(ctx)
		cancel()
		if err == nil {
			return
		}
		a.mu.Lock()
		busy := len(a.cur.entries) > 0 || a.closed
		a.mu.Unlock()
		if busy {
			return
		}
		a.cfg.Log.Warn("audit stream not ready; retrying", "err", err)
		select {
		case <-a.closing:
			return
		case <-time.After(time.Second):
		}
	}
}

// publish chains b's records after the replica's last record and publishes
// them (one message per MaxMessageBytes), each expecting the previous one
// as the subject's last message; it retries after reading the chain back
// until the timeout.
func (a *Auditor) publish(b *auditBatch) error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	var lastErr error
	for i := 0; i < len(b.entries); {
		if ctx.Err() != nil {
			return fmt.Errorf("not acknowledged within %s: %w", a.cfg.Timeout, lastErr)
		}
		if !a.synced {
			if err := a.sync(ctx); err != nil {
				lastErr = err
				sleepCtx(ctx, 100*time.Millisecond)
				continue
			}
		}
		chain := a.chain
		a.buf = a.buf[:0]
		j := i
		for j < len(b.entries) && (j == i || len(a.buf) < a.cfg.MaxMessageBytes) {
			a.buf = chain.Append(a.buf, b.entries[j], b.times[j])
			j++
		}
		ack, err := a.send(ctx, a.buf)
		if err == nil {
			a.chain, a.streamSeq, i = chain, ack, j
			continue
		}
		lastErr = err
		// Refused or unanswered: read back what the stream holds.
		a.synced = false
		if serr := a.sync(ctx); serr != nil {
			lastErr = errors.Join(err, serr)
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		if a.chain == chain { // it was stored after all
			i = j
			continue
		}
		// The chain moved on without it: chain it again after what is there.
	}
	return nil
}

// send publishes one message on the replica's subject, expecting the
// replica's last message to be the one the chain ends at.
func (a *Auditor) send(ctx context.Context, msg []byte) (uint64, error) {
	ack, err := a.c.js.Publish(ctx, a.subject, msg, jetstream.WithExpectStream(AuditStream),
		jetstream.WithExpectLastSequencePerSubject(a.streamSeq))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// sync reads the replica's chain back from its last message in the stream
// (creating the stream if it does not exist).
func (a *Auditor) sync(ctx context.Context) error {
	if a.stream == nil {
		st, err := a.c.auditStream(ctx)
		if err != nil {
			return err
		}
		a.stream = st
	}
	m, err := a.stream.GetLastMsgForSubject(ctx, a.subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		a.chain, a.streamSeq, a.synced = audit.Chain{}, 0, true
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the replica's last audit message: %w", err)
	}
	c, ok, err := audit.Tail(m.Data)
	if err != nil || !ok {
		return fmt.Errorf("the replica's last audit message (stream sequence %d) holds no valid record: %v", m.Sequence, err)
	}
	a.chain, a.streamSeq, a.synced = c, m.Sequence, true
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// auditStream opens the audit stream, creating it when it does not exist:
// file storage, the client's replication, no limits (records are never
// dropped; a full account refuses new ones, which fails requests rather
// than losing records), deletes and purges refused.
func (c *Client) auditStream(ctx context.Context) (jetstream.Stream, error) {
	cctx, cancel := c.ctx(ctx)
	defer cancel()
	st, err := c.js.Stream(cctx, AuditStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = c.js.CreateStream(cctx, jetstream.StreamConfig{
			Name: AuditStream, Description: "grunndata: audit records, one hash chain per replica",
			Subjects: []string{AuditSubject + ">"}, Storage: jetstream.FileStorage, Replicas: c.cfg.Replicas,
			Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardNew, MaxMsgs: -1, MaxBytes: -1,
			DenyDelete: true, DenyPurge: true,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = c.js.Stream(cctx, AuditStream)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("audit stream %s: %w", AuditStream, err)
	}
	return st, nil
}

// ChainReport is the verification of one replica's chain in the stream.
type ChainReport struct {
	Replica  string
	Records  int64
	Messages int
	// LastSeq is the sequence number of the last good record.
	LastSeq uint64
	// Err is the first problem (nil: the chain is intact); it names the
	// record's sequence number and stream sequence, never its content.
	Err error
}

// AuditReport is the verification of the whole audit stream.
type AuditReport struct {
	Chains []ChainReport
	// Messages is the number of stream messages read; LastStreamSeq the
	// stream's last sequence when verification began (records published
	// later are not verified).
	Messages      int
	LastStreamSeq uint64
	// Err is a problem of the stream itself: messages deleted or purged.
	Err error
}

// OK reports whether every chain and the stream are intact.
func (r *AuditReport) OK() bool {
	if r.Err != nil {
		return false
	}
	for _, c := range r.Chains {
		if c.Err != nil {
			return false
		}
	}
	return true
}

// VerifyAudit verifies every replica's chain in the audit stream: each
// message's records follow the previous ones of its replica (sequence, prev,
// hash), and no stream message was deleted (a gap in stream sequences, a
// first sequence other than 1).
func (c *Client) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{}
	chains := map[string]*ChainReport{}
	checkers := map[string]*audit.Checker{}
	var prevSeq uint64
	err := c.scanAudit(ctx, func(info *jetstream.StreamInfo) {
		rep.LastStreamSeq = info.State.LastSeq
		if info.State.Msgs > 0 && info.State.FirstSeq != 1 {
			rep.Err = fmt.Errorf("the stream begins at sequence %d: messages 1–%d were deleted or purged", info.State.FirstSeq, info.State.FirstSeq-1)
		}
		if info.State.NumDeleted > 0 && rep.Err == nil {
			rep.Err = fmt.Errorf("%d messages were deleted from the stream", info.State.NumDeleted)
		}
	}, func(subject string, seq uint64, data []byte) bool {
		rep.Messages++
		if prevSeq != 0 && seq != prevSeq+1 && rep.Err == nil {
			rep.Err = fmt.Errorf("stream messages %d–%d were deleted", prevSeq+1, seq-1)
		}
		prevSeq = seq
		name, _ := strings.CutPrefix(subject, AuditSubject)
		cr := chains[name]
		if cr == nil {
			cr = &ChainReport{Replica: name}
			chains[name] = cr
			checkers[name] = &audit.Checker{}
		}
		cr.Messages++
		if cr.Err != nil {
			return true
		}
		chk := checkers[name]
		lines := splitLines(data)
		if len(lines) == 0 || len(data) == 0 || data[len(data)-1] != '\n' {
			cr.Err = fmt.Errorf("stream message %d: not a batch of complete records", seq)
			return true
		}
		for _, line := range lines {
			if _, err := chk.Check(line); err != nil {
				cr.Err = fmt.Errorf("stream message %d: %w", seq, err)
				return true
			}
			cr.Records++
			cr.LastSeq = chk.Seq
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if prevSeq != 0 && prevSeq < rep.LastStreamSeq && rep.Err == nil {
		rep.Err = fmt.Errorf("stream messages %d–%d were deleted", prevSeq+1, rep.LastStreamSeq)
	}
	for _, cr := range chains {
		rep.Chains = append(rep.Chains, *cr)
	}
	sort.Slice(rep.Chains, func(i, j int) bool { return rep.Chains[i].Replica < rep.Chains[j].Replica })
	return rep, nil
}

// SearchAudit is audit.Search across the fleet: every record of every
// replica naming any of numbers (or a number linked to them by a lookup
// under an old number).
func (c *Client) SearchAudit(ctx context.Context, numbers []string, fn func(replica string, r *audit.Record) bool) error {
	var replica string
	scan := func(line func([]byte) bool) error {
		return c.scanAudit(ctx, nil, func(subject string, _ uint64, data []byte) bool {
			replica, _ = strings.CutPrefix(subject, AuditSubject)
			for _, l := range splitLines(data) {
				if !line(l) {
					return false
				}
			}
			return true
		})
	}
	return audit.SearchLines(scan, numbers, func(r *audit.Record) bool { return fn(replica, r) })
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		out = append(out, data[:i])
		if i == len(data) {
			break
		}
		data = data[i+1:]
	}
	return out
}

// scanAudit reads the audit stream from its first message to its last one
// at the start, in order, calling fn with each message until it returns
// false. info, when set, is called first with the stream's state.
func (c *Client) scanAudit(ctx context.Context, info func(*jetstream.StreamInfo), fn func(subject string, seq uint64, data []byte) bool) error {
	cctx, cancel := c.ctx(ctx)
	st, err := c.js.Stream(cctx, AuditStream)
	cancel()
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if info != nil {
			info(&jetstream.StreamInfo{})
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit stream %s: %w", AuditStream, err)
	}
	cctx, cancel = c.ctx(ctx)
	si, err := st.Info(cctx)
	cancel()
	if err != nil {
		return fmt.Errorf("audit stream %s: %w", AuditStream, err)
	}
	if info != nil {
		info(si)
	}
	last := si.State.LastSeq
	if si.State.Msgs == 0 {
		return nil
	}
	cctx, cancel = c.ctx(ctx)
	cons, err := st.OrderedConsumer(cctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	cancel()
	if err != nil {
		return fmt.Errorf("read the audit stream: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return fmt.Errorf("read the audit stream: %w", err)
	}
	defer it.Stop()
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		m, err := it.Next(jetstream.NextMaxWait(c.cfg.Timeout))
		if err != nil {
			return fmt.Errorf("read the audit stream: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read the audit stream: %w", err)
		}
		if !fn(m.Subject(), meta.Sequence.Stream, m.Data()) {
			return nil
		}
		if meta.Sequence.Stream >= last || meta.NumPending == 0 {
			return nil
		}
	}
}
