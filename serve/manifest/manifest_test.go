package manifest

import (
	"strings"
	"testing"
)

func TestHashedNameRoundTrip(t *testing.T) {
	const h = "1a2b3c4d"
	tests := []struct{ logical, hashed string }{
		{"engine.wasm", "engine.1a2b3c4d.wasm"},
		{"models/base-rho50.ckpt", "models/base-rho50.1a2b3c4d.ckpt"},
		{"app.min.js", "app.min.1a2b3c4d.js"},
		{"LICENSE", "LICENSE.1a2b3c4d"},
		{"a/b/c.tar.gz", "a/b/c.tar.1a2b3c4d.gz"},
		{"x.deadbeef.js", "x.deadbeef.1a2b3c4d.js"},
		{"x.deadbeef", "x.1a2b3c4d.deadbeef"}, // an extension that looks like a hash
	}
	for _, tt := range tests {
		if got := HashedName(tt.logical, h); got != tt.hashed {
			t.Errorf("HashedName(%q): got %q, want %q", tt.logical, got, tt.hashed)
		}
		logical, hash, ok := SplitHashed(tt.hashed)
		if !ok || logical != tt.logical || hash != h {
			t.Errorf("SplitHashed(%q): got (%q, %q, %t), want (%q, %q, true)", tt.hashed, logical, hash, ok, tt.logical, h)
		}
	}
	for _, name := range []string{"engine.wasm", "index.html", "a.1A2B3C4D.js", "a.1a2b3c4.js", "a.1a2b3c4dd.js", ".1a2b3c4d", "1a2b3c4d"} {
		if l, h, ok := SplitHashed(name); ok {
			t.Errorf("SplitHashed(%q): got (%q, %q, true), want not hashed", name, l, h)
		}
	}
}

func TestHash(t *testing.T) {
	// sha256("") = e3b0c442...
	if got := Hash(nil); got != "e3b0c442" {
		t.Errorf("Hash(nil): got %q, want %q", got, "e3b0c442")
	}
}

func TestParse(t *testing.T) {
	m, err := Parse([]byte(`{"engine.wasm": "engine.1a2b3c4d.wasm", "models/x.ckpt": "models/x.00000000.ckpt"}`))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"engine.wasm":          "engine.1a2b3c4d.wasm",
		"engine.1a2b3c4d.wasm": "engine.1a2b3c4d.wasm", // already hashed: answers itself
		"index.html":           "index.html",
		"models/x.ckpt":        "models/x.00000000.ckpt",
	} {
		if got := m.Lookup(in); got != want {
			t.Errorf("Lookup(%q): got %q, want %q", in, got, want)
		}
	}
	if got, want := string(m.Encode()), "{\n  \"engine.wasm\": \"engine.1a2b3c4d.wasm\",\n  \"models/x.ckpt\": \"models/x.00000000.ckpt\"\n}\n"; got != want {
		t.Errorf("Encode: got %q, want %q", got, want)
	}

	for _, bad := range []string{
		`[]`,
		`{"a.js": 1}`,
		`{"a.js": "a.js"}`,
		`{"a.js": "b.1a2b3c4d.js"}`,
		`{"../a.js": "../a.1a2b3c4d.js"}`,
		`{"a.js": "models/a.1a2b3c4d.js"}`,
		`{"/a.js": "/a.1a2b3c4d.js"}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), Name) {
			t.Errorf("Parse(%s): got %v, want an error naming %s", bad, err, Name)
		}
	}
}
