package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/registry/audit"
)

// PreFleetSuffix ends the subject a replica's local audit log, written
// before it joined the fleet, is copied to: grunndata.audit.<replica>.pre-fleet
// (a replica name holds no '.', so it is no replica's chain).
const PreFleetSuffix = ".pre-fleet"

// ErrLocalAudit reports a local audit log that cannot be imported as it is
// (its chain does not verify, or it is not the log imported before):
// retrying does not help.
var ErrLocalAudit = errors.New("local audit log")

// ImportReport is what ImportLocalAudit did.
type ImportReport struct {
	// Subject is the stream subject the records went to.
	Subject string
	// Records were published now; Skipped were in the stream already (an
	// earlier, possibly interrupted, import).
	Records, Skipped int64
	Messages         int
	Elapsed          time.Duration
}

// ImportLocalAudit copies the audit file log in dir (a node's own log, from
// before it joined the fleet: a fleet replica does not write it) into the
// audit stream on the subject grunndata.audit.<replica>.pre-fleet, record
// lines verbatim: they keep the file log's own hash chain, which VerifyAudit
// checks as one more chain (named "<replica>.pre-fleet") and SearchAudit
// (who looked a person up) reads with the rest.
//
// The file log is read as audit.Verify reads it and checked record by record
// while it is copied: a log whose chain is broken is refused (nothing after
// the break is copied). Records are grouped into messages of at most
// maxMessage bytes (0: 256 KiB), each published expecting the subject's
// previous message, so a second importer (or a retry after a timeout) can
// never interleave or duplicate records. The import is resumable and
// idempotent: records up to the subject's last one are skipped, so calling
// it at every start costs one read of the file log once everything is in.
// A missing or empty dir imports nothing.
func (c *Client) ImportLocalAudit(ctx context.Context, replica, dir string, maxMessage int) (ImportReport, error) {
	start := time.Now()
	rep := ImportReport{Subject: AuditSubject + replica + PreFleetSuffix}
	if !ValidReplicaName(replica) {
		return rep, fmt.Errorf("replica name %q: letters, digits, - and _ only", replica)
	}
	if maxMessage <= 0 {
		maxMessage = 256 << 10
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	st, err := c.auditStream(ctx)
	if err != nil {
		return rep, err
	}
	// Where an earlier import stopped.
	var done audit.Chain
	var lastSeq uint64
	cctx, cancel := c.ctx(ctx)
	m, err := st.GetLastMsgForSubject(cctx, rep.Subject)
	cancel()
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return rep, fmt.Errorf("read the imported audit's last message: %w", err)
	default:
		var ok bool
		if done, ok, err = audit.Tail(m.Data); err != nil || !ok {
			return rep, fmt.Errorf("the imported audit's last message (stream sequence %d) holds no valid record: %v", m.Sequence, err)
		}
		lastSeq = m.Sequence
	}

	var chk audit.Checker
	var buf []byte
	var pending int64
	var pubErr error
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		cctx, cancel := c.ctx(ctx)
		ack, err := c.js.Publish(cctx, rep.Subject, buf, jetstream.WithExpectStream(AuditStream),
			jetstream.WithExpectLastSequencePerSubject(lastSeq))
		cancel()
		if err != nil {
			pubErr = fmt.Errorf("publish imported audit records: %w", err)
			return pubErr
		}
		lastSeq = ack.Sequence
		rep.Records += pending
		rep.Messages++
		buf, pending = buf[:0], 0
		return nil
	}
	err = audit.Records(dir, func(line []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := chk.Check(line)
		if err != nil {
			return fmt.Errorf("%w does not verify: %w", ErrLocalAudit, err)
		}
		if r.Seq <= done.Seq {
			if r.Seq == done.Seq && chk.Hash != done.Hash {
				return fmt.Errorf("%w: record %d differs from the one imported before: this is not the log that was imported", ErrLocalAudit, r.Seq)
			}
			rep.Skipped++
			return nil
		}
		if len(buf)+len(line)+1 > maxMessage && len(buf) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		buf = append(append(buf, line...), '\n')
		pending++
		return nil
	})
	if err != nil && pubErr == nil && ctx.Err() == nil && !errors.Is(err, ErrLocalAudit) {
		err = fmt.Errorf("%w: %w", ErrLocalAudit, err) // unreadable, a record too long, torn inside
	}
	if err == nil {
		err = flush()
	}
	if err == nil && chk.Seq < done.Seq {
		err = fmt.Errorf("%w ends at record %d but %d were imported: this is not the log that was imported", ErrLocalAudit, chk.Seq, done.Seq)
	}
	rep.Elapsed = time.Since(start)
	return rep, err
}
