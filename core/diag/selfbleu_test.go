package diag

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

// selfBLEUHash is the hash of the self-BLEU of many seeded response sets,
// bit for bit: the same on every platform (make wasmtest runs this test
// under wasm too).
const selfBLEUHash = 0xf7e870e160d8b8b

// TestSelfBLEUIsBitIdenticalOnEveryPlatform: self-BLEU took math.Exp, whose
// amd64 assembly differs in the last bit from the portable code wasm runs
// (for about one input in six), so a run's self_bleu and diversity could
// differ between copsd run and the same run in the browser (copsd on rho
// 0.5, seed 1, at step 10). It takes core/num's Exp and Log now.
func TestSelfBLEUIsBitIdenticalOnEveryPlatform(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := fnv.New64a()
	for range 400 {
		resp := make([][]int32, 2+r.IntN(4))
		for j := range resp {
			resp[j] = make([]int32, 3+r.IntN(20))
			for k := range resp[j] {
				resp[j][k] = int32(r.IntN(6))
			}
		}
		binary.Write(h, binary.LittleEndian, math.Float64bits(SelfBLEU(resp, 4)))
	}
	if got := h.Sum64(); got != selfBLEUHash {
		t.Errorf("self-BLEU hash %#x, want %#x", got, uint64(selfBLEUHash))
	}
}
