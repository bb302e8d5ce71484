;; The ceiling of bit-exact SIMD128 arithmetic in this browser, for
;; wasm/bench/benchbrowser. The model's kernels (core/model/simd) multiply
;; and then add (f32x4.mul, f32x4.add), never fused, so that every platform
;; rounds alike; these two loops measure how fast that can possibly go:
;;
;;   chains: 16 independent accumulators, a = a*y + x, in registers only:
;;           the peak rate of unfused f32x4 multiply-then-add.
;;   tile:   the matmul kernel's 4x8 register tile (eight accumulators, two
;;           B vectors, A broadcast by load32_splat) over a 256-step k loop
;;           that stays in the L1 cache: the best the kernel's inner loop
;;           can do with its loads.
;;
;; Each returns a lane of its accumulators so no work can be dropped.
(module
  (memory (export "mem") 2)
  (func (export "chains") (param $n i32) (result f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $a8 v128) (local $a9 v128) (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128) (local $a14 v128) (local $a15 v128)
    (local $x v128) (local $y v128)
    (local.set $x (f32x4.splat (f32.const 0.0000001)))
    (local.set $y (f32x4.splat (f32.const 0.9999999)))
    (loop $l
      (local.set $a0 (f32x4.add (f32x4.mul (local.get $a0) (local.get $y)) (local.get $x)))
      (local.set $a1 (f32x4.add (f32x4.mul (local.get $a1) (local.get $y)) (local.get $x)))
      (local.set $a2 (f32x4.add (f32x4.mul (local.get $a2) (local.get $y)) (local.get $x)))
      (local.set $a3 (f32x4.add (f32x4.mul (local.get $a3) (local.get $y)) (local.get $x)))
      (local.set $a4 (f32x4.add (f32x4.mul (local.get $a4) (local.get $y)) (local.get $x)))
      (local.set $a5 (f32x4.add (f32x4.mul (local.get $a5) (local.get $y)) (local.get $x)))
      (local.set $a6 (f32x4.add (f32x4.mul (local.get $a6) (local.get $y)) (local.get $x)))
      (local.set $a7 (f32x4.add (f32x4.mul (local.get $a7) (local.get $y)) (local.get $x)))
      (local.set $a8 (f32x4.add (f32x4.mul (local.get $a8) (local.get $y)) (local.get $x)))
      (local.set $a9 (f32x4.add (f32x4.mul (local.get $a9) (local.get $y)) (local.get $x)))
      (local.set $a10 (f32x4.add (f32x4.mul (local.get $a10) (local.get $y)) (local.get $x)))
      (local.set $a11 (f32x4.add (f32x4.mul (local.get $a11) (local.get $y)) (local.get $x)))
      (local.set $a12 (f32x4.add (f32x4.mul (local.get $a12) (local.get $y)) (local.get $x)))
      (local.set $a13 (f32x4.add (f32x4.mul (local.get $a13) (local.get $y)) (local.get $x)))
      (local.set $a14 (f32x4.add (f32x4.mul (local.get $a14) (local.get $y)) (local.get $x)))
      (local.set $a15 (f32x4.add (f32x4.mul (local.get $a15) (local.get $y)) (local.get $x)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)) (local.get $a4)) (local.get $a5)) (local.get $a6)) (local.get $a7)) (local.get $a8)) (local.get $a9)) (local.get $a10)) (local.get $a11)) (local.get $a12)) (local.get $a13)) (local.get $a14)) (local.get $a15))))
  (func (export "tile") (param $reps i32) (result f32)
    (local $k i32) (local $pa i32) (local $pb i32) (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $rep
      (local.set $pa (i32.const 0)) (local.set $pb (i32.const 4096)) (local.set $k (i32.const 256))
      (loop $kl
        (local.set $b0 (v128.load (local.get $pb))) (local.set $b1 (v128.load offset=16 (local.get $pb)))
        (local.set $x (v128.load32_splat offset=0 (local.get $pa)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat offset=4 (local.get $pa)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat offset=8 (local.get $pa)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat offset=12 (local.get $pa)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
        (br_if $kl (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    (f32x4.extract_lane 0 (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $c00) (local.get $c01)) (local.get $c10)) (local.get $c11)) (local.get $c20)) (local.get $c21)) (local.get $c30)) (local.get $c31)))))
