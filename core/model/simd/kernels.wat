;; COPSD Lab SIMD128 kernels: the hot loops of core/model (and core/num's
;; Softmax) for GOOS=js, over Go's own linear memory (imported as
;; env.memory). Go imports them with //go:wasmimport copsdsimd <name>
;; (core/model/gemm_simd.go, core/num/softmax_simd.go); kernels.wasm is this
;; file assembled by `make generate` (gen.sh) and committed.
;;
;; Tuned in Chromium 156 on this project's shapes: the 4x8 tiles run near
;; the machine's multiply-then-add peak for 128-bit vectors (about 3 vector
;; operations per cycle without FMA), so the remaining speed comes from
;; feeding them: packed operands, loads with constant offsets, broadcasts by
;; v128.load32_splat rather than shuffles.
;;
;; Every kernel follows the summation order of the pure-Go kernels
;; (core/model/gemm.go), so both give the same bits:
;;
;;   acc = init                       (+0, a bias, or the output itself)
;;   for k = 0, 1, ..., K-1:          (strictly in this order)
;;       acc = acc + round(a[i,k]*b[k,j])
;;
;; Vector lanes hold independent outputs (four columns j, or four dot
;; products); each lane multiplies with f32x4.mul and then adds with
;; f32x4.add, both rounded as IEEE binary32, exactly like the scalar f32.mul
;; and f32.add of Go's wasm code. Never a fused multiply-add (no relaxed SIMD).
;; No kernel splits a reduction into partial sums.
;;
;; Pointers are byte addresses in Go's memory; strides and sizes are in
;; float32 elements. Callers (Go) check every bound before calling.
(module
  (import "env" "memory" (memory 0))

  ;; ABI version: the Go side uses the kernels only when this matches.
  (func (export "version") (result i32) (i32.const 5))

  ;; gemm(out, a, b, bias, ldo, aRow, aK, ldb, M, N, K, mode, pack)
  ;;
  ;; out[i,j] (=, +=) init_j + sum_k a[i,k]*b[k,j] for i < M, j < N, with
  ;;   a[i,k] = a[i*aRow + k*aK], b[k,j] = b[k*ldb + j], out[i,j] = out[i*ldo + j]
  ;; mode 0: out = sum (init +0); 1: out = bias[j] + sum (init bias[j]);
  ;;      2: out = out + sum (init +0); 3: out = sum with init out[i,j]
  ;;      (continue a sum that an earlier call left in out).
  ;; K >= 1. Rows go in panels of four (4x8, 4x4 and 4x1 tiles), then the
  ;; remaining rows one at a time (1x16, 1x4 and 1x1 tiles).
  ;;
  ;; pack, when not 0, is scratch for 36*K floats. B is then copied slab by
  ;; slab (32 columns, all K rows) into it, and every row panel runs on the
  ;; packed slab. B's row stride is often a multiple of 512 bytes (3C or 4C
  ;; floats), which maps its rows onto a few cache sets: unpacked, such a B
  ;; runs at half speed. Likewise a transposed A (aRow = 1) is copied panel
  ;; by panel into the last 4*K floats. Copying changes no value, and each
  ;; output is still one tile's sequential sum.
  (func $gemm (export "gemm")
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $ldb i32)
    (param $M i32) (param $N i32) (param $K i32) (param $mode i32) (param $pack i32)
    (local $i i32) (local $j0 i32) (local $w i32) (local $k i32) (local $c i32)
    (local $src i32) (local $dst i32) (local $apack i32) (local $pa i32) (local $paRow i32) (local $paK i32)
    (local.set $ldo (i32.shl (local.get $ldo) (i32.const 2)))
    (local.set $aRow (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aK (i32.shl (local.get $aK) (i32.const 2)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 2)))
    (if (i32.and (i32.ne (local.get $pack) (i32.const 0)) (i32.ge_s (local.get $M) (i32.const 4)))
      (then
        (local.set $apack (i32.add (local.get $pack) (i32.shl (local.get $K) (i32.const 7))))
        (block $slabs_done
          (loop $slabs
            (br_if $slabs_done (i32.ge_s (local.get $j0) (local.get $N)))
            (local.set $w (select (i32.sub (local.get $N) (local.get $j0)) (i32.const 32)
              (i32.lt_s (i32.sub (local.get $N) (local.get $j0)) (i32.const 32))))
            ;; pack rows k of columns [j0, j0+w) contiguously, w floats apart
            (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j0) (i32.const 2))))
            (local.set $dst (local.get $pack))
            (local.set $k (i32.const 0))
            (loop $pk
              (local.set $c (i32.const 0))
              (block $pc4_done
                (loop $pc4
                  (br_if $pc4_done (i32.gt_s (i32.add (local.get $c) (i32.const 4)) (local.get $w)))
                  (v128.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
                    (v128.load (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2)))))
                  (local.set $c (i32.add (local.get $c) (i32.const 4)))
                  (br $pc4)))
              (block $pc1_done
                (loop $pc1
                  (br_if $pc1_done (i32.ge_s (local.get $c) (local.get $w)))
                  (f32.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
                    (f32.load (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2)))))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))
                  (br $pc1)))
              (local.set $src (i32.add (local.get $src) (local.get $ldb)))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $w) (i32.const 2))))
              (br_if $pk (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))
            ;; every row panel on the packed slab
            (local.set $i (i32.const 0))
            (block $sp_done
              (loop $sp
                (br_if $sp_done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
                (if (i32.eq (local.get $w) (i32.const 32))
                  (then
                    (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
                    (local.set $paRow (local.get $aRow))
                    (local.set $paK (local.get $aK))
                    (if (i32.and (i32.eq (local.get $aRow) (i32.const 4)) (i32.ne (local.get $aK) (i32.const 16)))
                      (then
                        ;; A transposed (a weight gradient): its four rows at
                        ;; step k are adjacent, but steps lie aK bytes apart,
                        ;; often a power of two. Copy the panel's K steps
                        ;; together after the packed slab.
                        (local.set $src (local.get $pa))
                        (local.set $dst (local.get $apack))
                        (local.set $k (local.get $K))
                        (loop $pa_l
                          (v128.store (local.get $dst) (v128.load (local.get $src)))
                          (local.set $src (i32.add (local.get $src) (local.get $aK)))
                          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                          (br_if $pa_l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
                        (local.set $pa (local.get $apack))
                        (local.set $paK (i32.const 16))))
                    (call $slab4
                      (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldo))) (i32.shl (local.get $j0) (i32.const 2)))
                      (local.get $pa)
                      (local.get $pack)
                      (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2)))
                      (local.get $ldo) (local.get $paRow) (local.get $paK) (local.get $K) (local.get $mode)))
                  (else
                    (call $panel4
                      (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldo))) (i32.shl (local.get $j0) (i32.const 2)))
                      (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow)))
                      (local.get $pack)
                      (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2)))
                      (local.get $ldo) (local.get $aRow) (local.get $aK) (i32.shl (local.get $w) (i32.const 2))
                      (local.get $w) (local.get $K) (local.get $mode))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $sp)))
            (local.set $j0 (i32.add (local.get $j0) (i32.const 32)))
            (br $slabs)))
        ;; the panels are done; the last M%4 rows follow, on B itself
        (local.set $out (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldo))))
        (local.set $a (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))))
    (block $rows_done
      (loop $panels
        (br_if $rows_done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
        (call $panel4 (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
          (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $ldb)
          (local.get $N) (local.get $K) (local.get $mode))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $ldo) (i32.const 2))))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $aRow) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $panels)))
    (block $done
      (loop $single
        (br_if $done (i32.ge_s (local.get $i) (local.get $M)))
        (call $row1 (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
          (local.get $aK) (local.get $ldb) (local.get $N) (local.get $K) (local.get $mode))
        (local.set $out (i32.add (local.get $out) (local.get $ldo)))
        (local.set $a (i32.add (local.get $a) (local.get $aRow)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $single))))

  ;; panel4: rows i..i+3 (out and a point at row i), all N columns.
  ;; Strides in bytes.
  (func $panel4
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $ldb i32)
    (param $N i32) (param $K i32) (param $mode i32)
    (local $j i32)
    (block $d8
      (loop $l8
        (br_if $d8 (i32.gt_s (i32.add (local.get $j) (i32.const 8)) (local.get $N)))
        (call $tile4x8 (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
          (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $ldb)
          (local.get $K) (local.get $mode))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 32)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $l8)))
    (if (i32.le_s (i32.add (local.get $j) (i32.const 4)) (local.get $N))
      (then
        (call $tile4x4 (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
          (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $ldb)
          (local.get $K) (local.get $mode))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_s (local.get $j) (local.get $N)))
        (call $tile4x1 (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
          (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $ldb)
          (local.get $K) (local.get $mode))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l1))))

  ;; tile4x8: a 4-row x 8-column tile, eight f32x4 accumulators, row r in
  ;; c<r>0 (columns 0-3) and c<r>1 (columns 4-7). K >= 1.
  (func $tile4x8
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $ldb i32)
    (param $K i32) (param $mode i32)
    (local $r2 i32) (local $r3 i32) (local $o2 i32) (local $o3 i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $r2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $aRow)))
    (local.set $o2 (i32.shl (local.get $ldo) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $ldo)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (local.set $c00 (v128.load (local.get $bias)))
        (local.set $c01 (v128.load offset=16 (local.get $bias)))
        (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
        (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
        (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then
        (local.set $c00 (v128.load (local.get $out)))
        (local.set $c01 (v128.load offset=16 (local.get $out)))
        (local.set $c10 (v128.load (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c20 (v128.load (i32.add (local.get $out) (local.get $o2))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $out) (local.get $o2))))
        (local.set $c30 (v128.load (i32.add (local.get $out) (local.get $o3))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $out) (local.get $o3))))))
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $aRow))))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $r2))))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $r3))))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (local.get $aK)))
      (local.set $b (i32.add (local.get $b) (local.get $ldb)))
      (br_if $k (local.tee $K (i32.sub (local.get $K) (i32.const 1)))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (local.set $c00 (f32x4.add (v128.load (local.get $out)) (local.get $c00)))
        (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c01)))
        (local.set $c10 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $ldo))) (local.get $c10)))
        (local.set $c11 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $ldo))) (local.get $c11)))
        (local.set $c20 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o2))) (local.get $c20)))
        (local.set $c21 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $o2))) (local.get $c21)))
        (local.set $c30 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o3))) (local.get $c30)))
        (local.set $c31 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $o3))) (local.get $c31)))))
    (v128.store (local.get $out) (local.get $c00))
    (v128.store offset=16 (local.get $out) (local.get $c01))
    (v128.store (i32.add (local.get $out) (local.get $ldo)) (local.get $c10))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $ldo)) (local.get $c11))
    (v128.store (i32.add (local.get $out) (local.get $o2)) (local.get $c20))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $o2)) (local.get $c21))
    (v128.store (i32.add (local.get $out) (local.get $o3)) (local.get $c30))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $o3)) (local.get $c31)))


  ;; tile4x8p: tile4x8 on a packed slab (row stride 128 bytes), k unrolled
  ;; by four when A is row-major (aK = 1) or packed by panel (aRow = 1,
  ;; aK = 4), so that every load has a constant offset. a values are
  ;; broadcast by v128.load32_splat (a load, no shuffle: shuffles would
  ;; compete with the multiplies and adds for the same ports). Each
  ;; accumulator still adds k = 0, 1, ... in order: the blocks of four,
  ;; then the last K%4 one at a time.
  (func $tile4x8p
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $K i32) (param $mode i32)
    (local $r2 i32) (local $r3 i32) (local $o2 i32) (local $o3 i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $r2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $aRow)))
    (local.set $o2 (i32.shl (local.get $ldo) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $ldo)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (local.set $c00 (v128.load (local.get $bias)))
        (local.set $c01 (v128.load offset=16 (local.get $bias)))
        (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
        (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
        (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then
        (local.set $c00 (v128.load (local.get $out)))
        (local.set $c01 (v128.load offset=16 (local.get $out)))
        (local.set $c10 (v128.load (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c20 (v128.load (i32.add (local.get $out) (local.get $o2))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $out) (local.get $o2))))
        (local.set $c30 (v128.load (i32.add (local.get $out) (local.get $o3))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $out) (local.get $o3))))))
    (if (i32.eq (local.get $aK) (i32.const 4))
      (then
        ;; A row-major: row r's a values for k..k+3 at p<r> + 0, 4, 8, 12
        (local.set $p0 (local.get $a))
        (local.set $p1 (i32.add (local.get $a) (local.get $aRow)))
        (local.set $p2 (i32.add (local.get $a) (local.get $r2)))
        (local.set $p3 (i32.add (local.get $a) (local.get $r3)))
        (block $kd
          (loop $kl
            (br_if $kd (i32.lt_s (local.get $K) (i32.const 4)))
            (local.set $b0 (v128.load offset=0 (local.get $b)))
            (local.set $b1 (v128.load offset=16 (local.get $b)))
            (local.set $x (v128.load32_splat offset=0 (local.get $p0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=0 (local.get $p1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=0 (local.get $p2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=0 (local.get $p3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=128 (local.get $b)))
            (local.set $b1 (v128.load offset=144 (local.get $b)))
            (local.set $x (v128.load32_splat offset=4 (local.get $p0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=4 (local.get $p1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=4 (local.get $p2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=4 (local.get $p3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=256 (local.get $b)))
            (local.set $b1 (v128.load offset=272 (local.get $b)))
            (local.set $x (v128.load32_splat offset=8 (local.get $p0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=8 (local.get $p1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=8 (local.get $p2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=8 (local.get $p3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=384 (local.get $b)))
            (local.set $b1 (v128.load offset=400 (local.get $b)))
            (local.set $x (v128.load32_splat offset=12 (local.get $p0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=12 (local.get $p1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=12 (local.get $p2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=12 (local.get $p3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
            (local.set $b (i32.add (local.get $b) (i32.const 512)))
            (local.set $K (i32.sub (local.get $K) (i32.const 4)))
            (br $kl)))
        (local.set $a (local.get $p0)))
      (else
        (if (i32.and (i32.eq (local.get $aRow) (i32.const 4)) (i32.eq (local.get $aK) (i32.const 16)))
          (then
            ;; A packed by panel (gemm): step k's four rows at a + 16k
            (block $td
              (loop $tl
                (br_if $td (i32.lt_s (local.get $K) (i32.const 4)))
            (local.set $b0 (v128.load offset=0 (local.get $b)))
            (local.set $b1 (v128.load offset=16 (local.get $b)))
            (local.set $x (v128.load32_splat offset=0 (local.get $a)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=4 (local.get $a)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=8 (local.get $a)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=12 (local.get $a)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=128 (local.get $b)))
            (local.set $b1 (v128.load offset=144 (local.get $b)))
            (local.set $x (v128.load32_splat offset=16 (local.get $a)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=20 (local.get $a)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=24 (local.get $a)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=28 (local.get $a)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=256 (local.get $b)))
            (local.set $b1 (v128.load offset=272 (local.get $b)))
            (local.set $x (v128.load32_splat offset=32 (local.get $a)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=36 (local.get $a)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=40 (local.get $a)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=44 (local.get $a)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $b0 (v128.load offset=384 (local.get $b)))
            (local.set $b1 (v128.load offset=400 (local.get $b)))
            (local.set $x (v128.load32_splat offset=48 (local.get $a)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=52 (local.get $a)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=56 (local.get $a)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=60 (local.get $a)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $a (i32.add (local.get $a) (i32.const 64)))
                (local.set $b (i32.add (local.get $b) (i32.const 512)))
                (local.set $K (i32.sub (local.get $K) (i32.const 4)))
                (br $tl)))))))
    (block $rd
      (loop $rl
        (br_if $rd (i32.eqz (local.get $K)))
        (local.set $b0 (v128.load offset=0 (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $x (v128.load32_splat (local.get $a)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $aRow))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $r2))))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $a) (local.get $r3))))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $a (i32.add (local.get $a) (local.get $aK)))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (local.set $K (i32.sub (local.get $K) (i32.const 1)))
        (br $rl)))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (local.set $c00 (f32x4.add (v128.load (local.get $out)) (local.get $c00)))
        (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c01)))
        (local.set $c10 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $ldo))) (local.get $c10)))
        (local.set $c11 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $ldo))) (local.get $c11)))
        (local.set $c20 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o2))) (local.get $c20)))
        (local.set $c21 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $o2))) (local.get $c21)))
        (local.set $c30 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o3))) (local.get $c30)))
        (local.set $c31 (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $o3))) (local.get $c31)))))
    (v128.store (local.get $out) (local.get $c00))
    (v128.store offset=16 (local.get $out) (local.get $c01))
    (v128.store (i32.add (local.get $out) (local.get $ldo)) (local.get $c10))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $ldo)) (local.get $c11))
    (v128.store (i32.add (local.get $out) (local.get $o2)) (local.get $c20))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $o2)) (local.get $c21))
    (v128.store (i32.add (local.get $out) (local.get $o3)) (local.get $c30))
    (v128.store offset=16 (i32.add (local.get $out) (local.get $o3)) (local.get $c31)))

  ;; slab4: rows i..i+3 of a full packed slab (32 columns): four tile4x8p.
  (func $slab4
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $K i32) (param $mode i32)
    (call $tile4x8p (local.get $out) (local.get $a) (local.get $b) (local.get $bias)
      (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $K) (local.get $mode))
    (call $tile4x8p (i32.add (local.get $out) (i32.const 32)) (local.get $a) (i32.add (local.get $b) (i32.const 32))
      (i32.add (local.get $bias) (i32.const 32))
      (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $K) (local.get $mode))
    (call $tile4x8p (i32.add (local.get $out) (i32.const 64)) (local.get $a) (i32.add (local.get $b) (i32.const 64))
      (i32.add (local.get $bias) (i32.const 64))
      (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $K) (local.get $mode))
    (call $tile4x8p (i32.add (local.get $out) (i32.const 96)) (local.get $a) (i32.add (local.get $b) (i32.const 96))
      (i32.add (local.get $bias) (i32.const 96))
      (local.get $ldo) (local.get $aRow) (local.get $aK) (local.get $K) (local.get $mode)))

  ;; tile4x4: a 4-row x 4-column tile, one f32x4 accumulator per row.
  (func $tile4x4
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $ldb i32)
    (param $K i32) (param $mode i32)
    (local $r2 i32) (local $r3 i32) (local $o2 i32) (local $o3 i32)
    (local $b0 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $r2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $aRow)))
    (local.set $o2 (i32.shl (local.get $ldo) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $ldo)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (local.set $c0 (v128.load (local.get $bias)))
        (local.set $c1 (local.get $c0)) (local.set $c2 (local.get $c0)) (local.set $c3 (local.get $c0))))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then
        (local.set $c0 (v128.load (local.get $out)))
        (local.set $c1 (v128.load (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c2 (v128.load (i32.add (local.get $out) (local.get $o2))))
        (local.set $c3 (v128.load (i32.add (local.get $out) (local.get $o3))))))
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load32_splat (local.get $a)) (local.get $b0))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (v128.load32_splat (i32.add (local.get $a) (local.get $aRow))) (local.get $b0))))
      (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (v128.load32_splat (i32.add (local.get $a) (local.get $r2))) (local.get $b0))))
      (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (v128.load32_splat (i32.add (local.get $a) (local.get $r3))) (local.get $b0))))
      (local.set $a (i32.add (local.get $a) (local.get $aK)))
      (local.set $b (i32.add (local.get $b) (local.get $ldb)))
      (br_if $k (local.tee $K (i32.sub (local.get $K) (i32.const 1)))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (local.set $c0 (f32x4.add (v128.load (local.get $out)) (local.get $c0)))
        (local.set $c1 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $ldo))) (local.get $c1)))
        (local.set $c2 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o2))) (local.get $c2)))
        (local.set $c3 (f32x4.add (v128.load (i32.add (local.get $out) (local.get $o3))) (local.get $c3)))))
    (v128.store (local.get $out) (local.get $c0))
    (v128.store (i32.add (local.get $out) (local.get $ldo)) (local.get $c1))
    (v128.store (i32.add (local.get $out) (local.get $o2)) (local.get $c2))
    (v128.store (i32.add (local.get $out) (local.get $o3)) (local.get $c3)))

  ;; tile4x1: one column of four rows, scalar.
  (func $tile4x1
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $ldo i32) (param $aRow i32) (param $aK i32) (param $ldb i32)
    (param $K i32) (param $mode i32)
    (local $r2 i32) (local $r3 i32) (local $o2 i32) (local $o3 i32)
    (local $y f32) (local $c0 f32) (local $c1 f32) (local $c2 f32) (local $c3 f32)
    (local.set $r2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $aRow)))
    (local.set $o2 (i32.shl (local.get $ldo) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $ldo)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (local.set $c0 (f32.load (local.get $bias)))
        (local.set $c1 (local.get $c0)) (local.set $c2 (local.get $c0)) (local.set $c3 (local.get $c0))))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then
        (local.set $c0 (f32.load (local.get $out)))
        (local.set $c1 (f32.load (i32.add (local.get $out) (local.get $ldo))))
        (local.set $c2 (f32.load (i32.add (local.get $out) (local.get $o2))))
        (local.set $c3 (f32.load (i32.add (local.get $out) (local.get $o3))))))
    (loop $k
      (local.set $y (f32.load (local.get $b)))
      (local.set $c0 (f32.add (local.get $c0) (f32.mul (f32.load (local.get $a)) (local.get $y))))
      (local.set $c1 (f32.add (local.get $c1) (f32.mul (f32.load (i32.add (local.get $a) (local.get $aRow))) (local.get $y))))
      (local.set $c2 (f32.add (local.get $c2) (f32.mul (f32.load (i32.add (local.get $a) (local.get $r2))) (local.get $y))))
      (local.set $c3 (f32.add (local.get $c3) (f32.mul (f32.load (i32.add (local.get $a) (local.get $r3))) (local.get $y))))
      (local.set $a (i32.add (local.get $a) (local.get $aK)))
      (local.set $b (i32.add (local.get $b) (local.get $ldb)))
      (br_if $k (local.tee $K (i32.sub (local.get $K) (i32.const 1)))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (local.set $c0 (f32.add (f32.load (local.get $out)) (local.get $c0)))
        (local.set $c1 (f32.add (f32.load (i32.add (local.get $out) (local.get $ldo))) (local.get $c1)))
        (local.set $c2 (f32.add (f32.load (i32.add (local.get $out) (local.get $o2))) (local.get $c2)))
        (local.set $c3 (f32.add (f32.load (i32.add (local.get $out) (local.get $o3))) (local.get $c3)))))
    (f32.store (local.get $out) (local.get $c0))
    (f32.store (i32.add (local.get $out) (local.get $ldo)) (local.get $c1))
    (f32.store (i32.add (local.get $out) (local.get $o2)) (local.get $c2))
    (f32.store (i32.add (local.get $out) (local.get $o3)) (local.get $c3)))

  ;; row1: one output row (out and a point at it), all N columns: 1x32
  ;; tiles (eight accumulators, to hide the latency of the adds), then 1x16,
  ;; 1x4 and single columns. Strides in bytes.
  (func $row1
    (param $out i32) (param $a i32) (param $b i32) (param $bias i32)
    (param $aK i32) (param $ldb i32) (param $N i32) (param $K i32) (param $mode i32)
    (local $j i32) (local $k i32) (local $pa i32) (local $pb i32) (local $x v128) (local $s f32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (block $d32
      (loop $l32
        (br_if $d32 (i32.gt_s (i32.add (local.get $j) (i32.const 32)) (local.get $N)))
        (local.set $c0 (v128.const i32x4 0 0 0 0))
        (local.set $c1 (v128.const i32x4 0 0 0 0))
        (local.set $c2 (v128.const i32x4 0 0 0 0))
        (local.set $c3 (v128.const i32x4 0 0 0 0))
        (local.set $c4 (v128.const i32x4 0 0 0 0))
        (local.set $c5 (v128.const i32x4 0 0 0 0))
        (local.set $c6 (v128.const i32x4 0 0 0 0))
        (local.set $c7 (v128.const i32x4 0 0 0 0))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then
            (local.set $c0 (v128.load offset=0 (local.get $bias)))
            (local.set $c1 (v128.load offset=16 (local.get $bias)))
            (local.set $c2 (v128.load offset=32 (local.get $bias)))
            (local.set $c3 (v128.load offset=48 (local.get $bias)))
            (local.set $c4 (v128.load offset=64 (local.get $bias)))
            (local.set $c5 (v128.load offset=80 (local.get $bias)))
            (local.set $c6 (v128.load offset=96 (local.get $bias)))
            (local.set $c7 (v128.load offset=112 (local.get $bias)))))
        (if (i32.eq (local.get $mode) (i32.const 3))
          (then
            (local.set $c0 (v128.load offset=0 (local.get $out)))
            (local.set $c1 (v128.load offset=16 (local.get $out)))
            (local.set $c2 (v128.load offset=32 (local.get $out)))
            (local.set $c3 (v128.load offset=48 (local.get $out)))
            (local.set $c4 (v128.load offset=64 (local.get $out)))
            (local.set $c5 (v128.load offset=80 (local.get $out)))
            (local.set $c6 (v128.load offset=96 (local.get $out)))
            (local.set $c7 (v128.load offset=112 (local.get $out)))))
        (local.set $pa (local.get $a))
        (local.set $pb (local.get $b))
        (local.set $k (local.get $K))
        (loop $k32
            (local.set $x (v128.load32_splat (local.get $pa)))
            (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $pb)))))
            (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
            (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
            (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
            (local.set $c4 (f32x4.add (local.get $c4) (f32x4.mul (local.get $x) (v128.load offset=64 (local.get $pb)))))
            (local.set $c5 (f32x4.add (local.get $c5) (f32x4.mul (local.get $x) (v128.load offset=80 (local.get $pb)))))
            (local.set $c6 (f32x4.add (local.get $c6) (f32x4.mul (local.get $x) (v128.load offset=96 (local.get $pb)))))
            (local.set $c7 (f32x4.add (local.get $c7) (f32x4.mul (local.get $x) (v128.load offset=112 (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (local.get $aK)))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (br_if $k32 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $c0 (f32x4.add (v128.load offset=0 (local.get $out)) (local.get $c0)))
            (local.set $c1 (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c1)))
            (local.set $c2 (f32x4.add (v128.load offset=32 (local.get $out)) (local.get $c2)))
            (local.set $c3 (f32x4.add (v128.load offset=48 (local.get $out)) (local.get $c3)))
            (local.set $c4 (f32x4.add (v128.load offset=64 (local.get $out)) (local.get $c4)))
            (local.set $c5 (f32x4.add (v128.load offset=80 (local.get $out)) (local.get $c5)))
            (local.set $c6 (f32x4.add (v128.load offset=96 (local.get $out)) (local.get $c6)))
            (local.set $c7 (f32x4.add (v128.load offset=112 (local.get $out)) (local.get $c7)))))
        (v128.store offset=0 (local.get $out) (local.get $c0))
        (v128.store offset=16 (local.get $out) (local.get $c1))
        (v128.store offset=32 (local.get $out) (local.get $c2))
        (v128.store offset=48 (local.get $out) (local.get $c3))
        (v128.store offset=64 (local.get $out) (local.get $c4))
        (v128.store offset=80 (local.get $out) (local.get $c5))
        (v128.store offset=96 (local.get $out) (local.get $c6))
        (v128.store offset=112 (local.get $out) (local.get $c7))
        (local.set $out (i32.add (local.get $out) (i32.const 128)))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 128)))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $l32)))
    (block $d16
      (loop $l16
        (br_if $d16 (i32.gt_s (i32.add (local.get $j) (i32.const 16)) (local.get $N)))
        (local.set $c0 (v128.const i32x4 0 0 0 0))
        (local.set $c1 (v128.const i32x4 0 0 0 0))
        (local.set $c2 (v128.const i32x4 0 0 0 0))
        (local.set $c3 (v128.const i32x4 0 0 0 0))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then
            (local.set $c0 (v128.load (local.get $bias)))
            (local.set $c1 (v128.load offset=16 (local.get $bias)))
            (local.set $c2 (v128.load offset=32 (local.get $bias)))
            (local.set $c3 (v128.load offset=48 (local.get $bias)))))
        (if (i32.eq (local.get $mode) (i32.const 3))
          (then
            (local.set $c0 (v128.load (local.get $out)))
            (local.set $c1 (v128.load offset=16 (local.get $out)))
            (local.set $c2 (v128.load offset=32 (local.get $out)))
            (local.set $c3 (v128.load offset=48 (local.get $out)))))
        (local.set $pa (local.get $a))
        (local.set $pb (local.get $b))
        (local.set $k (local.get $K))
        (loop $k16
          (local.set $x (v128.load32_splat (local.get $pa)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
          (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
          (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (local.get $aK)))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (br_if $k16 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $c0 (f32x4.add (v128.load (local.get $out)) (local.get $c0)))
            (local.set $c1 (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c1)))
            (local.set $c2 (f32x4.add (v128.load offset=32 (local.get $out)) (local.get $c2)))
            (local.set $c3 (f32x4.add (v128.load offset=48 (local.get $out)) (local.get $c3)))))
        (v128.store (local.get $out) (local.get $c0))
        (v128.store offset=16 (local.get $out) (local.get $c1))
        (v128.store offset=32 (local.get $out) (local.get $c2))
        (v128.store offset=48 (local.get $out) (local.get $c3))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 64)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l16)))
    (block $d4
      (loop $l4
        (br_if $d4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $N)))
        (local.set $c0 (v128.const i32x4 0 0 0 0))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then (local.set $c0 (v128.load (local.get $bias)))))
        (if (i32.eq (local.get $mode) (i32.const 3))
          (then (local.set $c0 (v128.load (local.get $out)))))
        (local.set $pa (local.get $a))
        (local.set $pb (local.get $b))
        (local.set $k (local.get $K))
        (loop $k4
          (local.set $c0 (f32x4.add (local.get $c0)
            (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (local.get $aK)))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (br_if $k4 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then (local.set $c0 (f32x4.add (v128.load (local.get $out)) (local.get $c0)))))
        (v128.store (local.get $out) (local.get $c0))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l4)))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_s (local.get $j) (local.get $N)))
        (local.set $s (f32.const 0))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then (local.set $s (f32.load (local.get $bias)))))
        (if (i32.eq (local.get $mode) (i32.const 3))
          (then (local.set $s (f32.load (local.get $out)))))
        (local.set $pa (local.get $a))
        (local.set $pb (local.get $b))
        (local.set $k (local.get $K))
        (loop $k1
          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (local.get $aK)))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (br_if $k1 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then (local.set $s (f32.add (f32.load (local.get $out)) (local.get $s)))))
        (f32.store (local.get $out) (local.get $s))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l1))))

  ;; dots(out, q, k, stride, n, len)
  ;;
  ;; out[p] = sum_i q[i]*k[p*stride + i] for p < n, i = 0..len-1 in order
  ;; from +0 (Go's dot). Lanes hold four positions p: each 4x4 block of keys
  ;; is transposed in registers so that lane p still adds its terms in
  ;; order of i. Eight positions per step (two independent sums) hide the
  ;; add latency. len >= 1.
  (func $dots (export "dots")
    (param $out i32) (param $q i32) (param $k i32) (param $stride i32) (param $n i32) (param $len i32)
    (local $p i32) (local $i i32) (local $pq i32) (local $k0 i32) (local $s4 i32) (local $s f32)
    (local $lenv i32)
    (local $acc v128) (local $acc2 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $qv v128)
    (local.set $stride (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $s4 (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $lenv (i32.and (local.get $len) (i32.const -4)))
    ;; eight positions at a time
    (block $d8
      (loop $l8
        (br_if $d8 (i32.gt_s (i32.add (local.get $p) (i32.const 8)) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $acc2 (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (local.set $pq (local.get $q))
        (local.set $k0 (local.get $k))
        (block $vd
          (loop $vl
            (br_if $vd (i32.ge_s (local.get $i) (local.get $lenv)))
            (local.set $qv (v128.load (local.get $pq)))
            ;; positions p..p+3
            (local.set $r0 (v128.load (local.get $k0)))
            (local.set $r1 (v128.load (i32.add (local.get $k0) (local.get $stride))))
            (local.set $r2 (v128.load (i32.add (local.get $k0) (i32.shl (local.get $stride) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $k0) (i32.mul (local.get $stride) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            ;; positions p+4..p+7
            (local.set $r0 (v128.load (i32.add (local.get $k0) (local.get $s4))))
            (local.set $r1 (v128.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (local.get $stride))))
            (local.set $r2 (v128.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (i32.shl (local.get $stride) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (i32.mul (local.get $stride) (i32.const 3)))))
            (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $u1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $u2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            ;; i
            (local.set $w0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $qv) (local.get $qv)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w0)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w0)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u1)))))
            ;; i+1
            (local.set $w1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $qv) (local.get $qv)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w1)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w1)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u1)))))
            ;; i+2
            (local.set $w2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $qv) (local.get $qv)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w2)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w2)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u2) (local.get $u3)))))
            ;; i+3
            (local.set $w3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $qv) (local.get $qv)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w3)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w3)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u2) (local.get $u3)))))
            (local.set $pq (i32.add (local.get $pq) (i32.const 16)))
            (local.set $k0 (i32.add (local.get $k0) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $vl)))
        ;; the last len%4 terms, in order
        (block $td
          (loop $tl
            (br_if $td (i32.ge_s (local.get $i) (local.get $len)))
            (local.set $w0 (v128.load32_splat (local.get $pq)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w0)
              (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
                (v128.load32_splat (local.get $k0))
                (f32.load (i32.add (local.get $k0) (local.get $stride))))
                (f32.load (i32.add (local.get $k0) (i32.shl (local.get $stride) (i32.const 1)))))
                (f32.load (i32.add (local.get $k0) (i32.mul (local.get $stride) (i32.const 3))))))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w0)
              (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
                (v128.load32_splat (i32.add (local.get $k0) (local.get $s4)))
                (f32.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (local.get $stride))))
                (f32.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (i32.shl (local.get $stride) (i32.const 1)))))
                (f32.load (i32.add (i32.add (local.get $k0) (local.get $s4)) (i32.mul (local.get $stride) (i32.const 3))))))))
            (local.set $pq (i32.add (local.get $pq) (i32.const 4)))
            (local.set $k0 (i32.add (local.get $k0) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tl)))
        (v128.store (local.get $out) (local.get $acc))
        (v128.store offset=16 (local.get $out) (local.get $acc2))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $k (i32.add (local.get $k) (i32.shl (local.get $s4) (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $l8)))
    ;; the remaining positions, one at a time
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_s (local.get $p) (local.get $n)))
        (local.set $s (f32.const 0))
        (local.set $i (i32.const 0))
        (local.set $pq (local.get $q))
        (local.set $k0 (local.get $k))
        (loop $il
          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $pq)) (f32.load (local.get $k0)))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 4)))
          (local.set $k0 (i32.add (local.get $k0) (i32.const 4)))
          (br_if $il (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
        (f32.store (local.get $out) (local.get $s))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (local.get $stride)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l1))))

  ;; ---- Transcendentals: the float64 kernels of core/num, two lanes at a
  ;; time, with every operation of the scalar code in the same order and
  ;; rounding (f64x2 ops round each result like Go's float64 ops; no FMA).

  ;; $exp4 is num.Exp32 for four float32 lanes x <= 0 (softmax's x - max):
  ;; float32(expKernel(x)), and 0 below -104. Each half is promoted to
  ;; float64 and runs num's expKernel:
  ;;   kf = (x*log2e + 1.5*2**52) - 1.5*2**52      (round to an integer)
  ;;   r  = (x - kf*ln2Hi) - kf*ln2Lo
  ;;   p  = Horner, degree 7, from c7 down to 1
  ;;   e  = p * 2**kf                              (exponent bits (kf+1023)<<52)
  ;; The kernel is written out for each half, here and in $tanh4: V8 does
  ;; not inline calls that pass v128 values, and such a call costs about as
  ;; much as the work (softmax and GELU measured 1.6-2x faster written out).
  ;; Keep the copies in step (core/model's SIMD tests compare every path
  ;; with the Go code).
  (func $exp4 (param $x v128) (result v128)
    (local $e v128) (local $lo v128) (local $hi v128)
    (local $exA v128) (local $kfA v128) (local $rA v128) (local $pA v128)
    (local $exB v128) (local $kfB v128) (local $rB v128) (local $pB v128)
    (local.set $exA (f64x2.promote_low_f32x4 (local.get $x)))
    (local.set $kfA (f64x2.sub
      (f64x2.add (f64x2.mul (local.get $exA) (v128.const f64x2 0x1.71547652b82fep+00 0x1.71547652b82fep+00))
                 (v128.const f64x2 0x1.8p+52 0x1.8p+52))
      (v128.const f64x2 0x1.8p+52 0x1.8p+52)))
    (local.set $rA (f64x2.sub
      (f64x2.sub (local.get $exA) (f64x2.mul (local.get $kfA) (v128.const f64x2 0x1.62e42feep-01 0x1.62e42feep-01)))
      (f64x2.mul (local.get $kfA) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10)
      (f64x2.mul (local.get $rA) (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.1111111111111p-07 0x1.1111111111111p-07)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.5555555555555p-05 0x1.5555555555555p-05)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.5555555555555p-03 0x1.5555555555555p-03)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1p-01 0x1p-01)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $lo (f64x2.mul (local.get $pA)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kfA)))
                   (v128.const i64x2 1023 1023))
        (i32.const 52))))
    (local.set $exB (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x))))
    (local.set $kfB (f64x2.sub
      (f64x2.add (f64x2.mul (local.get $exB) (v128.const f64x2 0x1.71547652b82fep+00 0x1.71547652b82fep+00))
                 (v128.const f64x2 0x1.8p+52 0x1.8p+52))
      (v128.const f64x2 0x1.8p+52 0x1.8p+52)))
    (local.set $rB (f64x2.sub
      (f64x2.sub (local.get $exB) (f64x2.mul (local.get $kfB) (v128.const f64x2 0x1.62e42feep-01 0x1.62e42feep-01)))
      (f64x2.mul (local.get $kfB) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10)
      (f64x2.mul (local.get $rB) (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.1111111111111p-07 0x1.1111111111111p-07)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.5555555555555p-05 0x1.5555555555555p-05)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.5555555555555p-03 0x1.5555555555555p-03)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1p-01 0x1p-01)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $hi (f64x2.mul (local.get $pB)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kfB)))
                   (v128.const i64x2 1023 1023))
        (i32.const 52))))
    (local.set $e (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    (v128.andnot (local.get $e) (f32x4.lt (local.get $x) (v128.const f32x4 -104 -104 -104 -104))))

  ;; gelu(out, th, inp, n): for i < n, n a multiple of 4, as
  ;; core/model's geluForward:
  ;;   x3 = (x*x)*x;  u = s*(x + c*x3);  t = Tanh32(u);  th = t
  ;;   out = (0.5*x)*(1 + t)               (float32; s, c float32 constants)
  ;; $tanh4 is num.Tanh32 for four float32 lanes: each half is promoted to
  ;; float64, all three branches of Tanh32 are computed for both of its
  ;; lanes (branching on the lanes measured slower: mispredictions) and each
  ;; lane selects the one Tanh32 takes, then rounds to float32:
  ;;   |x| > 9.1:      sign(x)
  ;;   |x| >= 0.625:   s = expKernel(2|x|); t = 1 - 2/(s+1); sign(x)*t
  ;;   x == 0:         x
  ;;   otherwise:      s = x*x; p = (P0*s + P1)*s + P2; q = ((s + Q0)*s + Q1)*s + Q2
  ;;                   x + (x*s)*p/q
  ;; expKernel is written out as in $exp4.
  (func $tanh4 (param $u v128) (result v128)
    (local $ta v128) (local $tb v128)
    (local $zA v128) (local $negA v128) (local $tA v128) (local $sA v128) (local $pA v128) (local $qA v128) (local $resA v128) (local $txA v128) (local $exA v128) (local $eA v128) (local $kfA v128) (local $rA v128)
    (local $zB v128) (local $negB v128) (local $tB v128) (local $sB v128) (local $pB v128) (local $qB v128) (local $resB v128) (local $txB v128) (local $exB v128) (local $eB v128) (local $kfB v128) (local $rB v128)
    (local $pA2 v128) (local $pB2 v128)
    (local.set $txA (f64x2.promote_low_f32x4 (local.get $u)))
    (local.set $zA (f64x2.abs (local.get $txA)))
    (local.set $negA (f64x2.lt (local.get $txA) (v128.const f64x2 0 0)))
    ;; middle branch
    (local.set $exA (f64x2.mul (v128.const f64x2 2 2) (local.get $zA)))
    (local.set $kfA (f64x2.sub
      (f64x2.add (f64x2.mul (local.get $exA) (v128.const f64x2 0x1.71547652b82fep+00 0x1.71547652b82fep+00))
                 (v128.const f64x2 0x1.8p+52 0x1.8p+52))
      (v128.const f64x2 0x1.8p+52 0x1.8p+52)))
    (local.set $rA (f64x2.sub
      (f64x2.sub (local.get $exA) (f64x2.mul (local.get $kfA) (v128.const f64x2 0x1.62e42feep-01 0x1.62e42feep-01)))
      (f64x2.mul (local.get $kfA) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10)
      (f64x2.mul (local.get $rA) (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.1111111111111p-07 0x1.1111111111111p-07)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.5555555555555p-05 0x1.5555555555555p-05)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1.5555555555555p-03 0x1.5555555555555p-03)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 0x1p-01 0x1p-01)
      (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $pA (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rA) (local.get $pA))))
    (local.set $eA (f64x2.mul (local.get $pA)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kfA)))
                   (v128.const i64x2 1023 1023))
        (i32.const 52))))
    (local.set $tA (f64x2.sub (v128.const f64x2 1 1)
      (f64x2.div (v128.const f64x2 2 2)
        (f64x2.add (local.get $eA) (v128.const f64x2 1 1)))))
    (local.set $tA (v128.bitselect (f64x2.neg (local.get $tA)) (local.get $tA) (local.get $negA)))
    ;; small branch
    (local.set $sA (f64x2.mul (local.get $txA) (local.get $txA)))
    (local.set $pA (f64x2.add (f64x2.mul (v128.const f64x2 -0x1.edc5baafd6f4bp-01 -0x1.edc5baafd6f4bp-01) (local.get $sA))
      (v128.const f64x2 -0x1.8d26a0e26682dp+06 -0x1.8d26a0e26682dp+06)))
    (local.set $pA (f64x2.add (f64x2.mul (local.get $pA) (local.get $sA))
      (v128.const f64x2 -0x1.93ac030580563p+10 -0x1.93ac030580563p+10)))
    (local.set $qA (f64x2.add (local.get $sA) (v128.const f64x2 0x1.c33f28a581b86p+06 0x1.c33f28a581b86p+06)))
    (local.set $qA (f64x2.add (f64x2.mul (local.get $qA) (local.get $sA))
      (v128.const f64x2 0x1.176fa0e5535fap+11 0x1.176fa0e5535fap+11)))
    (local.set $qA (f64x2.add (f64x2.mul (local.get $qA) (local.get $sA))
      (v128.const f64x2 0x1.2ec102442040cp+12 0x1.2ec102442040cp+12)))
    (local.set $resA (f64x2.add (local.get $txA)
      (f64x2.div (f64x2.mul (f64x2.mul (local.get $txA) (local.get $sA)) (local.get $pA)) (local.get $qA))))
    (local.set $resA (v128.bitselect (local.get $txA) (local.get $resA)
      (f64x2.eq (local.get $txA) (v128.const f64x2 0 0))))
    (local.set $resA (v128.bitselect (local.get $tA) (local.get $resA)
      (f64x2.ge (local.get $zA) (v128.const f64x2 0.625 0.625))))
    (local.set $ta (v128.bitselect
      (v128.bitselect (v128.const f64x2 -1 -1) (v128.const f64x2 1 1) (local.get $negA))
      (local.get $resA)
      (f64x2.gt (local.get $zA) (v128.const f64x2 9.1 9.1))))
    (local.set $txB (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u))))
    (local.set $zB (f64x2.abs (local.get $txB)))
    (local.set $negB (f64x2.lt (local.get $txB) (v128.const f64x2 0 0)))
    ;; middle branch
    (local.set $exB (f64x2.mul (v128.const f64x2 2 2) (local.get $zB)))
    (local.set $kfB (f64x2.sub
      (f64x2.add (f64x2.mul (local.get $exB) (v128.const f64x2 0x1.71547652b82fep+00 0x1.71547652b82fep+00))
                 (v128.const f64x2 0x1.8p+52 0x1.8p+52))
      (v128.const f64x2 0x1.8p+52 0x1.8p+52)))
    (local.set $rB (f64x2.sub
      (f64x2.sub (local.get $exB) (f64x2.mul (local.get $kfB) (v128.const f64x2 0x1.62e42feep-01 0x1.62e42feep-01)))
      (f64x2.mul (local.get $kfB) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10)
      (f64x2.mul (local.get $rB) (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.1111111111111p-07 0x1.1111111111111p-07)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.5555555555555p-05 0x1.5555555555555p-05)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1.5555555555555p-03 0x1.5555555555555p-03)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 0x1p-01 0x1p-01)
      (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $pB (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $rB) (local.get $pB))))
    (local.set $eB (f64x2.mul (local.get $pB)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kfB)))
                   (v128.const i64x2 1023 1023))
        (i32.const 52))))
    (local.set $tB (f64x2.sub (v128.const f64x2 1 1)
      (f64x2.div (v128.const f64x2 2 2)
        (f64x2.add (local.get $eB) (v128.const f64x2 1 1)))))
    (local.set $tB (v128.bitselect (f64x2.neg (local.get $tB)) (local.get $tB) (local.get $negB)))
    ;; small branch
    (local.set $sB (f64x2.mul (local.get $txB) (local.get $txB)))
    (local.set $pB (f64x2.add (f64x2.mul (v128.const f64x2 -0x1.edc5baafd6f4bp-01 -0x1.edc5baafd6f4bp-01) (local.get $sB))
      (v128.const f64x2 -0x1.8d26a0e26682dp+06 -0x1.8d26a0e26682dp+06)))
    (local.set $pB (f64x2.add (f64x2.mul (local.get $pB) (local.get $sB))
      (v128.const f64x2 -0x1.93ac030580563p+10 -0x1.93ac030580563p+10)))
    (local.set $qB (f64x2.add (local.get $sB) (v128.const f64x2 0x1.c33f28a581b86p+06 0x1.c33f28a581b86p+06)))
    (local.set $qB (f64x2.add (f64x2.mul (local.get $qB) (local.get $sB))
      (v128.const f64x2 0x1.176fa0e5535fap+11 0x1.176fa0e5535fap+11)))
    (local.set $qB (f64x2.add (f64x2.mul (local.get $qB) (local.get $sB))
      (v128.const f64x2 0x1.2ec102442040cp+12 0x1.2ec102442040cp+12)))
    (local.set $resB (f64x2.add (local.get $txB)
      (f64x2.div (f64x2.mul (f64x2.mul (local.get $txB) (local.get $sB)) (local.get $pB)) (local.get $qB))))
    (local.set $resB (v128.bitselect (local.get $txB) (local.get $resB)
      (f64x2.eq (local.get $txB) (v128.const f64x2 0 0))))
    (local.set $resB (v128.bitselect (local.get $tB) (local.get $resB)
      (f64x2.ge (local.get $zB) (v128.const f64x2 0.625 0.625))))
    (local.set $tb (v128.bitselect
      (v128.bitselect (v128.const f64x2 -1 -1) (v128.const f64x2 1 1) (local.get $negB))
      (local.get $resB)
      (f64x2.gt (local.get $zB) (v128.const f64x2 9.1 9.1))))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $ta)) (f32x4.demote_f64x2_zero (local.get $tb))))

  (func (export "gelu") (param $out i32) (param $th i32) (param $inp i32) (param $n i32)
    (local $x v128) (local $u v128) (local $t v128)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $x (v128.load (local.get $inp)))
        (local.set $u (f32x4.mul (v128.const f32x4 0x1.988454p-01 0x1.988454p-01 0x1.988454p-01 0x1.988454p-01)
          (f32x4.add (local.get $x)
            (f32x4.mul (v128.const f32x4 0x1.6e4e26p-05 0x1.6e4e26p-05 0x1.6e4e26p-05 0x1.6e4e26p-05)
              (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (local.get $x))))))
        (local.set $t (call $tanh4 (local.get $u)))
        (v128.store (local.get $th) (local.get $t))
        (v128.store (local.get $out)
          (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $x))
            (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t))))
        (local.set $inp (i32.add (local.get $inp) (i32.const 16)))
        (local.set $th (i32.add (local.get $th) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $l))))

  ;; softmax(row, n, scale): core/model's softmaxScores in place, n >= 1:
  ;;   s = d*scale; mx = max over s; e = Exp32(s - mx);
  ;;   sum = e[0] + e[1] + ... in order (float32); row = e*(1/sum)
  ;; The maximum is exact in any order; the sum stays sequential.
  (func (export "softmax") (param $row i32) (param $n i32) (param $scale f32)
    (local $p i32) (local $n4 i32) (local $a i32) (local $v v128) (local $mx4 v128) (local $mx f32)
    (local $sum f32) (local $inv f32) (local $sc v128) (local $rem i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $mx4 (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $mx (f32.const -inf))
    ;; scale and maximum
    (local.set $p (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_s (local.get $p) (local.get $n4)))
      (local.set $a (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $v (f32x4.mul (v128.load (local.get $a)) (local.get $sc)))
      (v128.store (local.get $a) (local.get $v))
      (local.set $mx4 (f32x4.max (local.get $mx4) (local.get $v)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l1)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_s (local.get $p) (local.get $n)))
      (local.set $a (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))
      (f32.store (local.get $a) (f32.mul (f32.load (local.get $a)) (local.get $scale)))
      (local.set $mx (f32.max (local.get $mx) (f32.load (local.get $a))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l2)))
    (local.set $mx (f32.max (local.get $mx)
      (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx4)) (f32x4.extract_lane 1 (local.get $mx4)))
               (f32.max (f32x4.extract_lane 2 (local.get $mx4)) (f32x4.extract_lane 3 (local.get $mx4))))))
    ;; exponentials
    (local.set $p (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_s (local.get $p) (local.get $n4)))
      (local.set $a (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))
      (v128.store (local.get $a)
        (call $exp4 (f32x4.sub (v128.load (local.get $a)) (f32x4.splat (local.get $mx)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l3)))
    (local.set $rem (i32.sub (local.get $n) (local.get $n4)))
    (if (local.get $rem)
      (then
        ;; the last one to three scores, in lanes 0..rem-1
        (local.set $a (i32.add (local.get $row) (i32.shl (local.get $n4) (i32.const 2))))
        (local.set $v (v128.load32_splat (local.get $a)))
        (if (i32.gt_s (local.get $rem) (i32.const 1))
          (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $a))))))
        (if (i32.gt_s (local.get $rem) (i32.const 2))
          (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $a))))))
        (local.set $v (call $exp4 (f32x4.sub (local.get $v) (f32x4.splat (local.get $mx)))))
        (f32.store (local.get $a) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.gt_s (local.get $rem) (i32.const 1))
          (then (f32.store offset=4 (local.get $a) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.gt_s (local.get $rem) (i32.const 2))
          (then (f32.store offset=8 (local.get $a) (f32x4.extract_lane 2 (local.get $v)))))))
    ;; the sum, in order
    (local.set $p (i32.const 0))
    (local.set $a (local.get $row))
    (loop $l4
      (local.set $sum (f32.add (local.get $sum) (f32.load (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br_if $l4 (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n))))
    (local.set $inv (f32.div (f32.const 1) (local.get $sum)))
    (local.set $sc (f32x4.splat (local.get $inv)))
    (local.set $p (i32.const 0))
    (block $d5 (loop $l5
      (br_if $d5 (i32.ge_s (local.get $p) (local.get $n4)))
      (local.set $a (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))
      (v128.store (local.get $a) (f32x4.mul (v128.load (local.get $a)) (local.get $sc)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l5)))
    (block $d6 (loop $l6
      (br_if $d6 (i32.ge_s (local.get $p) (local.get $n)))
      (local.set $a (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))
      (f32.store (local.get $a) (f32.mul (f32.load (local.get $a)) (local.get $inv)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l6))))

  ;; layernorm(out, mean, rstd, inp, w, b, N, C): core/model's
  ;; layernormForward for N rows of C floats, C a multiple of 4:
  ;;   m = (x[0] + x[1] + ... + x[C-1]) / C               (in order, float32)
  ;;   v = ((x[0]-m)^2 + ... + (x[C-1]-m)^2) / C          (each square rounded)
  ;;   r = float32(1 / sqrt(float64(v + 1e-5)))
  ;;   out = float32((x - m)*r)*w + b
  ;; Four rows at a time share the sums: lanes are rows, each 4x4 block is
  ;; transposed so that every lane still adds c = 0, 1, ... in order.
  (func (export "layernorm")
    (param $out i32) (param $mean i32) (param $rstd i32) (param $inp i32)
    (param $w i32) (param $b i32) (param $N i32) (param $C i32)
    (local $n i32) (local $c i32) (local $rs i32) (local $rs2 i32) (local $rs3 i32) (local $x0 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $acc v128) (local $m v128) (local $r v128) (local $cf v128)
    (local $s f32) (local $ms f32) (local $rsf f32) (local $xr i32) (local $or i32) (local $row i32)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rs2 (i32.shl (local.get $rs) (i32.const 1)))
    (local.set $rs3 (i32.add (local.get $rs2) (local.get $rs)))
    (local.set $cf (f32x4.splat (f32.convert_i32_s (local.get $C))))
    (block $g_done
      (loop $g
        (br_if $g_done (i32.gt_s (i32.add (local.get $n) (i32.const 4)) (local.get $N)))
        ;; sum
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $x0 (local.get $inp))
        (local.set $c (i32.const 0))
        (loop $s1
            (local.set $r0 (v128.load (local.get $x0)))
            (local.set $r1 (v128.load (i32.add (local.get $x0) (local.get $rs))))
            (local.set $r2 (v128.load (i32.add (local.get $x0) (local.get $rs2))))
            (local.set $r3 (v128.load (i32.add (local.get $x0) (local.get $rs3))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $u0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
            (local.set $u1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
            (local.set $u2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
            (local.set $u3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
            (local.set $acc (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $acc)
              (local.get $u0)) (local.get $u1)) (local.get $u2)) (local.get $u3)))
            (local.set $x0 (i32.add (local.get $x0) (i32.const 16)))
          (br_if $s1 (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $C))))
        (local.set $m (f32x4.div (local.get $acc) (local.get $cf)))
        ;; sum of squares
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $x0 (local.get $inp))
        (local.set $c (i32.const 0))
        (loop $s2
            (local.set $r0 (v128.load (local.get $x0)))
            (local.set $r1 (v128.load (i32.add (local.get $x0) (local.get $rs))))
            (local.set $r2 (v128.load (i32.add (local.get $x0) (local.get $rs2))))
            (local.set $r3 (v128.load (i32.add (local.get $x0) (local.get $rs3))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $u0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
            (local.set $u1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
            (local.set $u2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
            (local.set $u3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
            (local.set $u0 (f32x4.sub (local.get $u0) (local.get $m)))
            (local.set $u1 (f32x4.sub (local.get $u1) (local.get $m)))
            (local.set $u2 (f32x4.sub (local.get $u2) (local.get $m)))
            (local.set $u3 (f32x4.sub (local.get $u3) (local.get $m)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $u0) (local.get $u0))))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $u1) (local.get $u1))))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $u2) (local.get $u2))))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $u3) (local.get $u3))))
            (local.set $x0 (i32.add (local.get $x0) (i32.const 16)))
          (br_if $s2 (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $C))))
        (local.set $acc (f32x4.add (f32x4.div (local.get $acc) (local.get $cf))
          (v128.const f32x4 1e-5 1e-5 1e-5 1e-5)))
        (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.div (v128.const f64x2 1 1)
            (f64x2.sqrt (f64x2.promote_low_f32x4 (local.get $acc)))))
          (f32x4.demote_f64x2_zero (f64x2.div (v128.const f64x2 1 1)
            (f64x2.sqrt (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $acc) (local.get $acc))))))))
        (v128.store (local.get $mean) (local.get $m))
        (v128.store (local.get $rstd) (local.get $r))
        ;; outputs, row by row
        (local.set $row (i32.const 0))
        (loop $rows
          (local.set $xr (i32.add (local.get $inp) (i32.mul (local.get $row) (local.get $rs))))
          (local.set $or (i32.add (local.get $out) (i32.mul (local.get $row) (local.get $rs))))
          (call $lnRow (local.get $or) (local.get $xr) (local.get $w) (local.get $b) (local.get $C)
            (f32.load (i32.add (local.get $mean) (i32.shl (local.get $row) (i32.const 2))))
            (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $row) (i32.const 2)))))
          (br_if $rows (i32.lt_s (local.tee $row (i32.add (local.get $row) (i32.const 1))) (i32.const 4))))
        (local.set $inp (i32.add (local.get $inp) (i32.shl (local.get $rs) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $rs) (i32.const 2))))
        (local.set $mean (i32.add (local.get $mean) (i32.const 16)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br $g)))
    ;; the last N%4 rows one at a time
    (block $r_done
      (loop $rl
        (br_if $r_done (i32.ge_s (local.get $n) (local.get $N)))
        (local.set $s (f32.const 0))
        (local.set $c (i32.const 0))
        (loop $a1
          (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $inp) (i32.shl (local.get $c) (i32.const 2))))))
          (br_if $a1 (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))
        (local.set $ms (f32.div (local.get $s) (f32.convert_i32_s (local.get $C))))
        (local.set $s (f32.const 0))
        (local.set $c (i32.const 0))
        (loop $a2
          (local.set $rsf (f32.sub (f32.load (i32.add (local.get $inp) (i32.shl (local.get $c) (i32.const 2)))) (local.get $ms)))
          (local.set $s (f32.add (local.get $s) (f32.mul (local.get $rsf) (local.get $rsf))))
          (br_if $a2 (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))
        (local.set $rsf (f32.demote_f64 (f64.div (f64.const 1)
          (f64.sqrt (f64.promote_f32 (f32.add (f32.div (local.get $s) (f32.convert_i32_s (local.get $C))) (f32.const 1e-5)))))))
        (f32.store (local.get $mean) (local.get $ms))
        (f32.store (local.get $rstd) (local.get $rsf))
        (call $lnRow (local.get $out) (local.get $inp) (local.get $w) (local.get $b) (local.get $C) (local.get $ms) (local.get $rsf))
        (local.set $inp (i32.add (local.get $inp) (local.get $rs)))
        (local.set $out (i32.add (local.get $out) (local.get $rs)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 4)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 4)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $rl))))

  ;; lnRow: out[c] = float32(float32((x[c] - m)*r)*w[c]) + b[c], C a multiple of 4.
  (func $lnRow (param $out i32) (param $x i32) (param $w i32) (param $b i32) (param $C i32) (param $m f32) (param $r f32)
    (local $mv v128) (local $rv v128)
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $rv (f32x4.splat (local.get $r)))
    (loop $l
      (v128.store (local.get $out)
        (f32x4.add
          (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $x)) (local.get $mv)) (local.get $rv)) (v128.load (local.get $w)))
          (v128.load (local.get $b))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $w (i32.add (local.get $w) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $l (local.tee $C (i32.sub (local.get $C) (i32.const 4))))))

  ;; gelub(dinp, inp, th, dout, n): core/model's geluBackward for n a
  ;; multiple of 4 (dinp may be dout):
  ;;   sech2 = 1 - t*t;  du = s*(1 + (3c)*(x*x))
  ;;   local = 0.5*(1 + t) + ((0.5*x)*sech2)*du;  dinp = local*dout
  (func (export "gelub") (param $dinp i32) (param $inp i32) (param $th i32) (param $dout i32) (param $n i32)
    (local $x v128) (local $t v128)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $x (v128.load (local.get $inp)))
        (local.set $t (v128.load (local.get $th)))
        (v128.store (local.get $dinp)
          (f32x4.mul
            (f32x4.add
              (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t)))
              (f32x4.mul
                (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $x))
                  (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $t) (local.get $t))))
                (f32x4.mul (v128.const f32x4 0x1.988454p-01 0x1.988454p-01 0x1.988454p-01 0x1.988454p-01)
                  (f32x4.add (v128.const f32x4 1 1 1 1)
                    (f32x4.mul (v128.const f32x4 0x1.12ba9ep-03 0x1.12ba9ep-03 0x1.12ba9ep-03 0x1.12ba9ep-03)
                      (f32x4.mul (local.get $x) (local.get $x)))))))
            (v128.load (local.get $dout))))
        (local.set $dinp (i32.add (local.get $dinp) (i32.const 16)))
        (local.set $inp (i32.add (local.get $inp) (i32.const 16)))
        (local.set $th (i32.add (local.get $th) (i32.const 16)))
        (local.set $dout (i32.add (local.get $dout) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $l))))

  ;; colsum(dst, src, N, C): dst[c] += (src[0,c] + src[1,c] + ... ) for
  ;; c < C, C a multiple of 4: each column's sum starts from +0 and adds
  ;; rows n = 0, 1, ... in order, then is added to dst (core/model's
  ;; biasBackward).
  (func (export "colsum") (param $dst i32) (param $src i32) (param $N i32) (param $C i32)
    (local $rs i32) (local $p i32) (local $n i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (block $d16
      (loop $l16
        (br_if $d16 (i32.lt_s (local.get $C) (i32.const 16)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $src))
        (local.set $n (local.get $N))
        (loop $r
          (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
          (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
          (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
          (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $rs)))
          (br_if $r (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a0)))
        (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $a1)))
        (v128.store offset=32 (local.get $dst) (f32x4.add (v128.load offset=32 (local.get $dst)) (local.get $a2)))
        (v128.store offset=48 (local.get $dst) (f32x4.add (v128.load offset=48 (local.get $dst)) (local.get $a3)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $C (i32.sub (local.get $C) (i32.const 16)))
        (br $l16)))
    (block $d4
      (loop $l4
        (br_if $d4 (i32.le_s (local.get $C) (i32.const 0)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $src))
        (local.set $n (local.get $N))
        (loop $r4
          (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $rs)))
          (br_if $r4 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a0)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $C (i32.sub (local.get $C) (i32.const 4)))
        (br $l4))))

  ;; lnwb(dw, db, dout, inp, mean, rstd, N, C): the gain and shift gradients
  ;; of core/model's layernormBackward, C a multiple of 4: for each channel c,
  ;; from +0 and over rows n = 0, 1, ... in order,
  ;;   norm = (x[n,c] - mean[n])*rstd[n];  sw += norm*dout[n,c];  sb += dout[n,c]
  ;; then dw[c] += sw, db[c] += sb. Lanes are channels.
  (func (export "lnwb") (param $dw i32) (param $db i32) (param $dout i32) (param $inp i32)
    (param $mean i32) (param $rstd i32) (param $N i32) (param $C i32)
    (local $rs i32) (local $c i32) (local $n i32) (local $px i32) (local $pd i32)
    (local $sw0 v128) (local $sb0 v128) (local $sw1 v128) (local $sb1 v128) (local $m v128) (local $r v128) (local $d v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    ;; eight channels at a time
    (block $d8
      (loop $l8
        (br_if $d8 (i32.gt_s (i32.add (local.get $c) (i32.const 8)) (local.get $C)))
        (local.set $sw0 (v128.const i32x4 0 0 0 0)) (local.set $sb0 (v128.const i32x4 0 0 0 0))
        (local.set $sw1 (v128.const i32x4 0 0 0 0)) (local.set $sb1 (v128.const i32x4 0 0 0 0))
        (local.set $px (i32.add (local.get $inp) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $pd (i32.add (local.get $dout) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $n (i32.const 0))
        (block $rd
          (loop $r
            (br_if $rd (i32.ge_s (local.get $n) (local.get $N)))
            (local.set $m (v128.load32_splat (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 2)))))
            (local.set $r (v128.load32_splat (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 2)))))
            (local.set $d (v128.load (local.get $pd)))
            (local.set $sw0 (f32x4.add (local.get $sw0)
              (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $px)) (local.get $m)) (local.get $r)) (local.get $d))))
            (local.set $sb0 (f32x4.add (local.get $sb0) (local.get $d)))
            (local.set $d (v128.load offset=16 (local.get $pd)))
            (local.set $sw1 (f32x4.add (local.get $sw1)
              (f32x4.mul (f32x4.mul (f32x4.sub (v128.load offset=16 (local.get $px)) (local.get $m)) (local.get $r)) (local.get $d))))
            (local.set $sb1 (f32x4.add (local.get $sb1) (local.get $d)))
            (local.set $px (i32.add (local.get $px) (local.get $rs)))
            (local.set $pd (i32.add (local.get $pd) (local.get $rs)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $r)))
        (local.set $px (i32.shl (local.get $c) (i32.const 2)))
        (v128.store (i32.add (local.get $dw) (local.get $px)) (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $px))) (local.get $sw0)))
        (v128.store offset=16 (i32.add (local.get $dw) (local.get $px)) (f32x4.add (v128.load offset=16 (i32.add (local.get $dw) (local.get $px))) (local.get $sw1)))
        (v128.store (i32.add (local.get $db) (local.get $px)) (f32x4.add (v128.load (i32.add (local.get $db) (local.get $px))) (local.get $sb0)))
        (v128.store offset=16 (i32.add (local.get $db) (local.get $px)) (f32x4.add (v128.load offset=16 (i32.add (local.get $db) (local.get $px))) (local.get $sb1)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $l8)))
    ;; four
    (if (i32.lt_s (local.get $c) (local.get $C))
      (then
        (local.set $sw0 (v128.const i32x4 0 0 0 0)) (local.set $sb0 (v128.const i32x4 0 0 0 0))
        (local.set $px (i32.add (local.get $inp) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $pd (i32.add (local.get $dout) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $n (i32.const 0))
        (block $rd4
          (loop $r4
            (br_if $rd4 (i32.ge_s (local.get $n) (local.get $N)))
            (local.set $m (v128.load32_splat (i32.add (local.get $mean) (i32.shl (local.get $n) (i32.const 2)))))
            (local.set $r (v128.load32_splat (i32.add (local.get $rstd) (i32.shl (local.get $n) (i32.const 2)))))
            (local.set $d (v128.load (local.get $pd)))
            (local.set $sw0 (f32x4.add (local.get $sw0)
              (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $px)) (local.get $m)) (local.get $r)) (local.get $d))))
            (local.set $sb0 (f32x4.add (local.get $sb0) (local.get $d)))
            (local.set $px (i32.add (local.get $px) (local.get $rs)))
            (local.set $pd (i32.add (local.get $pd) (local.get $rs)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $r4)))
        (local.set $px (i32.shl (local.get $c) (i32.const 2)))
        (v128.store (i32.add (local.get $dw) (local.get $px)) (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $px))) (local.get $sw0)))
        (v128.store (i32.add (local.get $db) (local.get $px)) (f32x4.add (v128.load (i32.add (local.get $db) (local.get $px))) (local.get $sb0))))))

  ;; probs(dst, logits, n, mx, invTemp): core/num's Softmax after its
  ;; maximum, n >= 1:
  ;;   e = Exp32((v - mx)*invTemp);  sum = e[0] + e[1] + ... in order, in float64
  ;;   dst = float32(float64(e) * (1/sum))
  (func (export "probs") (param $dst i32) (param $lg i32) (param $n i32) (param $mx f32) (param $it f32)
    (local $p i32) (local $n4 i32) (local $a i32) (local $b i32) (local $v v128) (local $rem i32)
    (local $sum f64) (local $inv f64) (local $iv v128) (local $mv v128) (local $tv v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $mv (f32x4.splat (local.get $mx)))
    (local.set $tv (f32x4.splat (local.get $it)))
    ;; exponentials
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_s (local.get $p) (local.get $n4)))
      (local.set $a (i32.shl (local.get $p) (i32.const 2)))
      (v128.store (i32.add (local.get $dst) (local.get $a))
        (call $exp4 (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $lg) (local.get $a))) (local.get $mv)) (local.get $tv))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l1)))
    (local.set $rem (i32.sub (local.get $n) (local.get $n4)))
    (if (local.get $rem)
      (then
        (local.set $a (i32.add (local.get $lg) (i32.shl (local.get $n4) (i32.const 2))))
        (local.set $b (i32.add (local.get $dst) (i32.shl (local.get $n4) (i32.const 2))))
        (local.set $v (v128.load32_splat (local.get $a)))
        (if (i32.gt_s (local.get $rem) (i32.const 1))
          (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $a))))))
        (if (i32.gt_s (local.get $rem) (i32.const 2))
          (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $a))))))
        (local.set $v (call $exp4 (f32x4.mul (f32x4.sub (local.get $v) (local.get $mv)) (local.get $tv))))
        (f32.store (local.get $b) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.gt_s (local.get $rem) (i32.const 1))
          (then (f32.store offset=4 (local.get $b) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.gt_s (local.get $rem) (i32.const 2))
          (then (f32.store offset=8 (local.get $b) (f32x4.extract_lane 2 (local.get $v)))))))
    ;; the sum, in order, in float64
    (local.set $p (i32.const 0))
    (local.set $a (local.get $dst))
    (loop $l2
      (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32.load (local.get $a)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br_if $l2 (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n))))
    (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
    (local.set $iv (f64x2.splat (local.get $inv)))
    (local.set $p (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_s (local.get $p) (local.get $n4)))
      (local.set $a (i32.add (local.get $dst) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $v (v128.load (local.get $a)))
      (v128.store (local.get $a) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $iv)))
        (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $iv)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l3)))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_s (local.get $p) (local.get $n)))
      (local.set $a (i32.add (local.get $dst) (i32.shl (local.get $p) (i32.const 2))))
      (f32.store (local.get $a) (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $a))) (local.get $inv))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l4))))
)
