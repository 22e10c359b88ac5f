package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Snapshots manages snapshot generations for the admin API. cmd/grunndata
// implements it over index (this package never imports index); every
// activation it makes must be durable (the data directory's ACTIVE pointer
// is written before the in-process swap).
type Snapshots interface {
	// List describes every complete generation, ascending by id.
	List() ([]SnapshotInfo, error)
	// Activate verifies, opens, warms and swaps in generation gen.
	Activate(gen string) (ActivationInfo, error)
	// Rollback activates the previous good generation of the history.
	Rollback() (ActivationInfo, error)
}

// Errors a Snapshots implementation wraps so that the admin API answers
// with the right status; anything else is a 500.
var (
	// ErrInvalidGeneration: the id is not a generation id (400).
	ErrInvalidGeneration = errors.New("not a generation id")
	// ErrNoSuchGeneration: no complete generation has the id (404).
	ErrNoSuchGeneration = errors.New("no such generation")
	// ErrGenerationRefused: the generation does not verify or open; the
	// active one keeps serving (409).
	ErrGenerationRefused = errors.New("generation refused")
	// ErrNoRollbackTarget: no earlier good generation (409).
	ErrNoRollbackTarget = errors.New("no earlier generation to roll back to")
)

// Problem codes of the admin API.
const (
	CodeInvalidGeneration = "invalid_generation"
	CodeNoSuchGeneration  = "no_such_generation"
	CodeGenerationRefused = "generation_refused"
	CodeNoRollbackTarget  = "no_rollback_target"
)

// SnapshotInfo is one generation as `grunndata snapshots list --json` and
// GET /admin/snapshots show it.
type SnapshotInfo struct {
	Generation     string `json:"generation"`
	Active         bool   `json:"active"`
	RollbackTarget bool   `json:"rollbackTarget"`
	// Serving: the generation this process serves (admin API only; it
	// differs from Active only while a server follows a CLI activation).
	Serving       bool                      `json:"serving,omitempty"`
	CreatedAt     *time.Time                `json:"createdAt,omitempty"`
	LastActivated *time.Time                `json:"lastActivated,omitempty"`
	Parent        string                    `json:"parent,omitempty"`
	FormatVersion int                       `json:"formatVersion,omitempty"`
	Sources       []SnapshotSource          `json:"sources"`
	Registers     map[string]RegisterCounts `json:"registers"`
	Records       int64                     `json:"records"`
	Rejects       int64                     `json:"rejects"`
	FeedPositions map[string]int64          `json:"feedPositions,omitempty"`
	// SizeBytes is on disk now; UniqueBytes what pruning it would free.
	SizeBytes   int64 `json:"sizeBytes"`
	UniqueBytes int64 `json:"uniqueBytes"`
	Files       int   `json:"files"`
	// Error says why the manifest does not read (the generation cannot be
	// activated).
	Error string `json:"error,omitempty"`
}

// SnapshotSource is one source file of a load.
type SnapshotSource struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// RegisterCounts counts one register's records and rejects.
type RegisterCounts struct {
	Records int64 `json:"records"`
	Rejects int64 `json:"rejects"`
}

// ActivationInfo is the answer to an activation or rollback. Durations are
// in milliseconds.
type ActivationInfo struct {
	Generation string  `json:"generation"`
	Previous   string  `json:"previous,omitempty"`
	Rollback   bool    `json:"rollback"`
	NoOp       bool    `json:"noOp,omitempty"`
	FullVerify bool    `json:"fullVerify"`
	WarmedKeys int     `json:"warmedKeys"`
	VerifyMS   float64 `json:"verifyMs"`
	OpenMS     float64 `json:"openMs"`
	WarmMS     float64 `json:"warmMs"`
	WriteMS    float64 `json:"writeMs"`
	SwapMS     float64 `json:"swapMs"`
	// TotalMS is from the request to the new generation serving.
	TotalMS float64 `json:"totalMs"`
}

// snapshotRoutes mounts the snapshot administration on mux, each handler
// wrapped by auth (the admin scope check).
func snapshotRoutes(mux *http.ServeMux, s Snapshots, auth func(http.Handler) http.Handler) {
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, auth(f)) }
	h("GET /admin/snapshots", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.List()
		if err != nil {
			writeAdminError(w, err)
			return
		}
		if list == nil {
			list = []SnapshotInfo{}
		}
		writeAdminJSON(w, http.StatusOK, list)
	})
	h("POST /admin/snapshots/rollback", func(w http.ResponseWriter, r *http.Request) {
		info, err := s.Rollback()
		if err != nil {
			writeAdminError(w, err)
			return
		}
		writeAdminJSON(w, http.StatusOK, info)
	})
	h("POST /admin/snapshots/{gen}/activate", func(w http.ResponseWriter, r *http.Request) {
		info, err := s.Activate(r.PathValue("gen"))
		if err != nil {
			writeAdminError(w, err)
			return
		}
		writeAdminJSON(w, http.StatusOK, info)
	})
	// Everything else under /admin/snapshots: problem+json, not the mux's
	// plain-text 404 and 405.
	h("/admin/snapshots", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET")
		writeAdminProblem(w, 405, CodeMethodNotAllowed, "Method not allowed", "GET /admin/snapshots lists the generations")
	})
	notAllowed := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeAdminProblem(w, 405, CodeMethodNotAllowed, "Method not allowed", "activation and rollback are POSTs")
	}
	h("/admin/snapshots/rollback", notAllowed)
	h("/admin/snapshots/{gen}/activate", notAllowed)
	h("/admin/snapshots/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminProblem(w, 404, CodeNoRoute, "No such route",
			"the routes are GET /admin/snapshots, POST /admin/snapshots/{gen}/activate and POST /admin/snapshots/rollback")
	})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		writeAdminError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeAdminError maps a Snapshots error to its status and problem.
func writeAdminError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalidGeneration):
		writeAdminProblem(w, 400, CodeInvalidGeneration, "Invalid generation id", err.Error())
	case errors.Is(err, ErrNoSuchGeneration):
		writeAdminProblem(w, 404, CodeNoSuchGeneration, "No such generation", err.Error())
	case errors.Is(err, ErrGenerationRefused):
		writeAdminProblem(w, 409, CodeGenerationRefused, "Generation refused; the active one keeps serving", err.Error())
	case errors.Is(err, ErrNoRollbackTarget):
		writeAdminProblem(w, 409, CodeNoRollbackTarget, "Nothing to roll back to", err.Error())
	default:
		writeAdminProblem(w, 500, CodeInternal, "Internal error", err.Error())
	}
}

func writeAdminProblem(w http.ResponseWriter, status int, code, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(problemBody(status, code, title, detail, "", ""))
}
