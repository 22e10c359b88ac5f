package server

import (
	"errors"
	"net/http"

	"github.com/grunndata/grunndata/registry/ops"
)

// Problem codes of the admin API.
const (
	CodeInvalidGeneration = "invalid_generation"
	CodeNoSuchGeneration  = "no_such_generation"
	CodeGenerationRefused = "generation_refused"
	CodeNoRollbackTarget  = "no_rollback_target"
)

// writeAdminError maps a Snapshots error to its status and problem.
func writeAdminError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ops.ErrInvalidGeneration):
		writeAdminProblem(w, 400, CodeInvalidGeneration, "Invalid generation id", err.Error())
	case errors.Is(err, ops.ErrNoSuchGeneration):
		writeAdminProblem(w, 404, CodeNoSuchGeneration, "No such generation", err.Error())
	case errors.Is(err, ops.ErrGenerationRefused):
		writeAdminProblem(w, 409, CodeGenerationRefused, "Generation refused; the active one keeps serving", err.Error())
	case errors.Is(err, ops.ErrNoRollbackTarget):
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
