package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/copsdlab/copsd/serve/manifest"
)

// The service worker (manifest.ServiceWorker, when the sources have one) makes the app work
// offline after one visit: it precaches every file of the bundle. It learns which from the
// bundler, which writes two placeholders in it:
//
//	const VERSION = "COPSD_VERSION";    // → "1a2b3c4d": a hash of every other file's name and bytes
//	const PRECACHE = ["COPSD_PRECACHE"]; // → ["./", "asset-manifest.json", "boot.1a2b3c4d.js", ...]
//
// Any change to the app changes VERSION, hence the service worker's bytes, which is how a browser
// notices a new deploy: it installs the new worker, which precaches the new files under a cache
// named after the new version and deletes the old one.
const (
	swVersion  = `"COPSD_VERSION"`
	swPrecache = `["COPSD_PRECACHE"]`
)

// fillServiceWorker writes the version and the precache list into the service worker, if the
// bundle has one. files are the output files by output name; the precompressed variants are not
// among them yet, and are never precached (the browser stores what it decoded).
func fillServiceWorker(files map[string][]byte) error {
	sw, ok := files[manifest.ServiceWorker]
	if !ok {
		return nil
	}
	for _, p := range []string{swVersion, swPrecache} {
		if n := bytes.Count(sw, []byte(p)); n != 1 {
			return fmt.Errorf("bundle: %s must hold the placeholder %s exactly once (found %d)", manifest.ServiceWorker, p, n)
		}
	}
	var names []string
	for n := range files {
		if n != manifest.ServiceWorker {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var all bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&all, "%s %s\n", n, manifest.Hash(files[n]))
	}
	// The entry page is precached as the site root, where the app is opened.
	precache := []string{"./"}
	for _, n := range names {
		if n != manifest.Index {
			precache = append(precache, n)
		}
	}
	list, err := json.Marshal(precache)
	if err != nil {
		return err
	}
	sw = bytes.Replace(sw, []byte(swVersion), []byte(`"`+manifest.Hash(all.Bytes())+`"`), 1)
	files[manifest.ServiceWorker] = bytes.Replace(sw, []byte(swPrecache), list, 1)
	return nil
}
