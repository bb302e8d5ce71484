package board

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/boardwire"
)

// A class's teacher key is 32 random bytes, sent as base64url. Only its SHA-256 is stored: the key
// is random and long, so a fast hash suffices (there is nothing to guess that a slow hash would
// protect), and a leaked database does not give the keys away.
const teacherKeyBytes = 32

func newTeacherKey() string {
	b := make([]byte, teacherKeyBytes)
	rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashKey is what the store keeps of a teacher key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func (h *handler) claim(w http.ResponseWriter, r *http.Request, class string) {
	key := newTeacherKey()
	claimed, err := h.cfg.Store.Claim(r.Context(), class, HashKey(key), h.cfg.Now())
	if err != nil {
		h.storeError(w, r, "claim", err)
		return
	}
	if !claimed {
		writeError(w, r, &Error{Status: http.StatusConflict, Field: "class",
			Message: "class " + class + " is already claimed: its teacher holds the key"})
		return
	}
	writeJSON(w, r, http.StatusCreated, boardwire.ClaimResponse{Class: class, TeacherKey: key})
}

// authorize checks the request's bearer key against class's: nil when it is the teacher's.
func (h *handler) authorize(w http.ResponseWriter, r *http.Request, class string) *Error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="class board"`)
		return &Error{Status: http.StatusUnauthorized, Field: "Authorization", Message: "this needs the class's teacher key: Authorization: Bearer <key>"}
	}
	scheme, key, _ := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="class board"`)
		return &Error{Status: http.StatusUnauthorized, Field: "Authorization", Message: "Authorization must be Bearer <teacher key>"}
	}
	stored, err := h.cfg.Store.KeyHash(r.Context(), class)
	if err != nil {
		return h.storeErr("key", r, err)
	}
	if stored == "" || subtle.ConstantTimeCompare([]byte(stored), []byte(HashKey(key))) != 1 {
		return &Error{Status: http.StatusForbidden, Field: "Authorization", Message: "this is not " + class + "'s teacher key"}
	}
	return nil
}

func (h *handler) hide(w http.ResponseWriter, r *http.Request, class, idText string) {
	if e := h.authorize(w, r, class); e != nil {
		writeError(w, r, e)
		return
	}
	id, ok := parseInt(idText, MaxSeed)
	if !ok || id < 1 {
		writeError(w, r, badRequest("id", "run id must be a positive integer, got %q", clip(idText)))
		return
	}
	found, err := h.cfg.Store.Hide(r.Context(), class, id, h.cfg.Now())
	if err != nil {
		h.storeError(w, r, "hide", err)
		return
	}
	if !found {
		writeError(w, r, &Error{Status: http.StatusNotFound, Field: "id", Message: "no run #" + strconv.FormatInt(id, 10) + " on " + class + "'s board"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
