package server

import (
	"encoding/json"
	"net/http"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
)

var bodyNotAdmin = problemBody(403, "forbidden", "Missing scope", auth.ErrNotAdmin.Error(), "", auth.ScopeAdmin.String())

func writeHTTPProblem(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(body)
}

// AuditHandler answers GET /admin/audit?subject=NIN: every audited access to
// that person, oldest first, as a JSON array (the Normen question "who looked
// this person up"), by any of the person's numbers: the accesses under every
// number the person has had (as store's active generation knows them) are
// listed. The subject travels in the query of an admin-only, authenticated
// listener; it is never logged.
func AuditHandler(dir string, store registry.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			writeHTTPProblem(w, 405, bodyMethodNotAllowed)
			return
		}
		subject := r.URL.Query().Get("subject")
		if subject == "" {
			writeHTTPProblem(w, 400, problemBody(400, CodeInvalidBody, "Missing subject", "give ?subject=<person number>", "", ""))
			return
		}
		n, _, err := registry.ParseNIN([]byte(subject))
		if err != nil {
			writeHTTPProblem(w, 400, problemBody(400, CodeInvalidIdentifier, "Invalid subject", "subject must be a person number", "", "subject"))
			return
		}
		numbers := []string{subject}
		if store != nil {
			if v, err := store.Acquire(); err == nil {
				numbers = audit.PersonNumbers(v, n)
				v.Release()
			}
		}
		out := []*audit.Record{}
		err = audit.Search(dir, numbers, func(rec *audit.Record) bool {
			c := *rec
			out = append(out, &c)
			return len(out) < 100000
		})
		if err != nil {
			writeHTTPProblem(w, 500, bodyInternal)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
}
