package bundle

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Encoding is a precompressed variant written next to a file as name+Suffix.
type Encoding struct {
	Name     string // the Content-Encoding token
	Suffix   string
	compress func([]byte) []byte
}

// Encodings are the variants written, in the server's order of preference.
var Encodings = []Encoding{
	{Name: "br", Suffix: ".br", compress: compressBrotli},
	{Name: "gzip", Suffix: ".gz", compress: compressGzip},
}

// compressible reports whether variants are written for a file of this name. Already compressed
// formats (png, woff2, ...) are left alone.
func compressible(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".wasm", ".js", ".mjs", ".css", ".html", ".htm", ".json", ".map", ".svg", ".ckpt", ".txt", ".csv":
		return true
	}
	return false
}

// compressBrotli compresses at quality 11 with a 16 MiB window (the largest standard window,
// which every browser decodes); a wasm binary of a few MB gains from the long window.
func compressBrotli(data []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 24})
	mustWrite(w.Write(data))
	must(w.Close())
	return buf.Bytes()
}

// compressGzip compresses at level 9 with an empty header (no name, mtime 0), so the output
// depends on the input bytes only.
func compressGzip(data []byte) []byte {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	must(err)
	mustWrite(w.Write(data))
	must(w.Close())
	return buf.Bytes()
}

// Writing to a bytes.Buffer fails only by running out of memory, which panics anyway.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

func mustWrite(_ int, err error) { must(err) }

// variant is one precompressed file to write.
type variant struct {
	name string // output name, e.g. "engine.1a2b3c4d.wasm.br"
	data []byte
}

// compressAll returns the variants of the given output files that are smaller than their source,
// in the order of names, then Encodings. Files are compressed in parallel; the result does not
// depend on scheduling.
func compressAll(names []string, content map[string][]byte) []variant {
	type job struct {
		i   int
		enc Encoding
	}
	var jobs []job
	for i, n := range names {
		if compressible(n) {
			for _, e := range Encodings {
				jobs = append(jobs, job{i, e})
			}
		}
	}
	out := make([][]byte, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			for k := range next {
				out[k] = jobs[k].enc.compress(content[names[jobs[k].i]])
			}
		})
	}
	// Largest first, so one big wasm file does not start last.
	order := make([]int, len(jobs))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(len(content[names[jobs[b].i]]), len(content[names[jobs[a].i]]))
	})
	for _, k := range order {
		next <- k
	}
	close(next)
	wg.Wait()

	var vs []variant
	for k, j := range jobs {
		src := names[j.i]
		if len(out[k]) < len(content[src]) {
			vs = append(vs, variant{name: src + j.enc.Suffix, data: out[k]})
		}
	}
	return vs
}
