/*
 * The register tile of rnnc's blocked product (rowsProduct) written in C with AVX-512 intrinsics: how fast one
 * core runs it with nothing else around, the ceiling for rnnc's Java tiles on the same machine.
 *
 * y[s][0..512) = init + W * x[s] for R rows s, W a 512 x COLS matrix packed in panels of 16 rows, in groups of G
 * panels (column-major inside a group, as dev.rnnc.runtime.Packing lays them out); per column the tile loads P
 * panels' weights and broadcasts each row's x: R x P accumulators, P loads and R broadcasts per R x P FMAs.
 * G = 8 is the matrix-vector kernels' group layout, G = P the tiles' own copy (PackedWeights.tiles()).
 *
 * Build: gcc -O3 -march=native -DR=13 -DP=2 -DG=2 -o tile tile.c     Run: taskset -c 1 ./tile COLS
 * Prints the best of 5 rounds in GFLOP/s (2 flops per FMA lane); compare with shared/perf/limit.sh --peak.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifndef R
#define R 13
#endif
#ifndef P
#define P 2
#endif
#ifndef G
#define G 2
#endif
#define ROWS 512
#define PANELS (ROWS / 16)

static void tile(const float* w, int cols, const float* panel, const float* init, float* y) {
  for (int p = 0; p + P <= PANELS; p += P) {
    const float* wp = w + (p / G) * G * 16 * cols + (p % G) * 16;
    __m512 a[R][P];
    for (int s = 0; s < R; s++)
      for (int q = 0; q < P; q++) a[s][q] = _mm512_loadu_ps(init + p * 16 + 16 * q);
    for (int c = 0; c < cols; c++) {
      __m512 wv[P];
      for (int q = 0; q < P; q++) wv[q] = _mm512_load_ps(wp + c * G * 16 + 16 * q);
      const float* pc = panel + c * R;
#pragma GCC unroll 16
      for (int s = 0; s < R; s++) {
        __m512 v = _mm512_set1_ps(pc[s]);
#pragma GCC unroll 4
        for (int q = 0; q < P; q++) a[s][q] = _mm512_fmadd_ps(wv[q], v, a[s][q]);
      }
    }
    for (int s = 0; s < R; s++)
      for (int q = 0; q < P; q++) _mm512_storeu_ps(y + s * ROWS + p * 16 + 16 * q, a[s][q]);
  }
}

int main(int argc, char** argv) {
  int cols = argc > 1 ? atoi(argv[1]) : 128;
  float* w = aligned_alloc(64, (size_t) ROWS * cols * 4);
  float* panel = aligned_alloc(64, (size_t) 16 * cols * 4);
  float* init = aligned_alloc(64, ROWS * 4);
  float* y = aligned_alloc(64, (size_t) 16 * ROWS * 4);
  for (long i = 0; i < (long) ROWS * cols; i++) w[i] = (i % 7) * 0.01f;
  for (int i = 0; i < 16 * cols; i++) panel[i] = 0.001f;
  for (int i = 0; i < ROWS; i++) init[i] = 0;
  double best = 0;
  int n = (int) (2e9 / (2.0 * ROWS * cols * R)) + 1;  /* about 2 GFLOP per round */
  for (int round = 0; round < 5; round++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
      tile(w, cols, panel, init, y);
      __asm__ volatile("" ::: "memory");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    double gflops = 2.0 * ROWS * cols * R * n / ns;
    if (gflops > best) best = gflops;
  }
  printf("C tile %d rows x %d panels, groups of %d, %d columns: %.1f GFLOP/s\n", R, P, G, cols, best);
  return y[0] == 12345.f;
}
