package bundle

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const testServiceWorker = `"use strict";
const VERSION = "COPSD_VERSION";
const PRECACHE = ["COPSD_PRECACHE"];
self.addEventListener("install", (e) => e.waitUntil(caches.open("app-" + VERSION).then((c) => c.addAll(PRECACHE))));
`

var swFields = regexp.MustCompile(`const VERSION = "([0-9a-f]{8})";\nconst PRECACHE = (\[[^\]]*\]);`)

// serviceWorker builds sources with the service worker and an engine, and returns the service
// worker's version and precache list and the tree.
func serviceWorker(t *testing.T, engine string) (string, []string, map[string][]byte) {
	t.Helper()
	src := t.TempDir()
	sources := maps.Clone(webSources)
	sources["sw.js"] = testServiceWorker
	sources["main.js"] += `navigator.serviceWorker.register("sw.js");` + "\n"
	writeTree(t, src, sources)
	out := t.TempDir()
	build(t, src, extraInputs(t, engine), out)
	tree := readTree(t, out)
	m := swFields.FindSubmatch(tree["sw.js"])
	if m == nil {
		t.Fatalf("sw.js was not filled in, or was renamed:\n%s", tree["sw.js"])
	}
	var list []string
	if err := json.Unmarshal(m[2], &list); err != nil {
		t.Fatal(err)
	}
	return string(m[1]), list, tree
}

// The service worker keeps its name (its scope and its update check depend on it), precaches
// every file of the bundle but itself, its variants and the placeholder, and changes its version
// when any file changes.
func TestServiceWorkerPrecachesTheBundle(t *testing.T) {
	version, list, tree := serviceWorker(t, stubEngine)
	var want []string
	for n := range tree {
		switch {
		case n == "sw.js", n == "index.html", n == AssetsIgnore, n == "README.txt",
			strings.HasSuffix(n, ".br"), strings.HasSuffix(n, ".gz"):
		default:
			want = append(want, n)
		}
	}
	want = append(want, "./")
	slices.Sort(want)
	got := slices.Sorted(slices.Values(list))
	if !slices.Equal(got, want) {
		t.Errorf("precached %q, want %q", got, want)
	}
	if !strings.Contains(string(tree[pathOfHashed(t, tree, "main.js")]), `register("sw.js")`) {
		t.Error("the reference to sw.js was rewritten")
	}
	again, _, _ := serviceWorker(t, stubEngine)
	if again != version {
		t.Errorf("the same bundle has versions %s and %s", version, again)
	}
	if other, _, _ := serviceWorker(t, stubEngine+"v2"); other == version {
		t.Errorf("a new engine keeps the service worker's version %s", version)
	}
}

func pathOfHashed(t *testing.T, tree map[string][]byte, logical string) string {
	t.Helper()
	ext := filepath.Ext(logical)
	for n := range tree {
		if strings.HasPrefix(n, strings.TrimSuffix(logical, ext)+".") && strings.HasSuffix(n, ext) && n != logical {
			return n
		}
	}
	t.Fatalf("no hashed %s", logical)
	return ""
}

func TestServiceWorkerWithoutPlaceholdersIsRefused(t *testing.T) {
	src := t.TempDir()
	sources := maps.Clone(webSources)
	sources["sw.js"] = `const VERSION = "COPSD_VERSION";` // no precache list
	writeTree(t, src, sources)
	_, err := Build(Options{Src: src, Out: t.TempDir(), Files: extraInputs(t, stubEngine)})
	if err == nil || !strings.Contains(err.Error(), `["COPSD_PRECACHE"]`) {
		t.Errorf("Build: %v", err)
	}
}
