package world

import "testing"

// BenchmarkVocabulary is the cost of building the vocabulary, which the class
// board pays once per fresh edge instance before validating a post.
func BenchmarkVocabulary(b *testing.B) {
	for b.Loop() {
		newVocab(collectWords())
	}
}

// BenchmarkNew is the cost of a whole world (prompts and splits included).
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Config{Rho: 0.5}); err != nil {
			b.Fatal(err)
		}
	}
}
