// ggml_mul_mat.c - llama.cpp's CPU kernels for one linear layer, as a peer.
//
// Times y[M, N] = x[M, K] W^T through ggml's public C API (ggml_mul_mat on
// the CPU backend), with W exactly ternary ({-1, 0, +1} times one scale), so
// that the ternary types (TQ2_0, TQ1_0) store it without loss and every type
// computes the same product as onebit's compiled layers on the same kind of
// weights. Built and run by ggml_layers.py beside this file, which fetches
// ggml from llama-cpp-python's sdist; nothing of ggml is kept in this repo.
//
// Output: one JSON object per line on stdout (info, stream, case), progress
// on stderr. A result that disagrees with a double-precision product stops
// the run before it is timed.

#define _GNU_SOURCE
#include "ggml-cpu.h"
#include "ggml.h"

#include <glob.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 16

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *xalloc(size_t bytes) {
  // 64-byte alignment: whole cache lines, and what ggml's SIMD loads like.
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) {
    fprintf(stderr, "error: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

// splitmix64: a fixed seed gives the same weights on every machine and run.
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

//===-- Machine ---------------------------------------------------------===//

// The last-level cache, from sysfs (the "cold" copies must exceed it);
// 0 when sysfs has no level-3 entry.
static size_t l3_bytes(void) {
  glob_t g;
  size_t bytes = 0;
  if (glob("/sys/devices/system/cpu/cpu0/cache/index*", 0, NULL, &g) != 0)
    return 0;
  for (size_t i = 0; i < g.gl_pathc; ++i) {
    char path[512], text[64];
    int level = 0;
    snprintf(path, sizeof path, "%s/level", g.gl_pathv[i]);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    if (fscanf(f, "%d", &level) != 1)
      level = 0;
    fclose(f);
    if (level != 3)
      continue;
    snprintf(path, sizeof path, "%s/size", g.gl_pathv[i]);
    f = fopen(path, "r");
    if (!f)
      continue;
    if (fgets(text, sizeof text, f)) {
      char *end;
      size_t value = strtoull(text, &end, 10);
      if (*end == 'K')
        value <<= 10;
      else if (*end == 'M')
        value <<= 20;
      bytes = value;
    }
    fclose(f);
  }
  globfree(&g);
  return bytes;
}

// The machine is shared: how much of it other processes kept busy while a
// case ran. A snapshot of all CPUs' busy time (/proc/stat) and our own
// (every thread of this process, spinning included); the difference over
// an interval is the others'.
struct load_snapshot {
  double wall, busy, self;
};

static struct load_snapshot load_now(void) {
  struct load_snapshot s = {now(), 0, 0};
  FILE *f = fopen("/proc/stat", "r");
  if (f) {
    unsigned long long v[8] = {0};
    // cpu  user nice system idle iowait irq softirq steal
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
      s.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
               sysconf(_SC_CLK_TCK);
    fclose(f);
  }
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  s.self = r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + r.ru_stime.tv_sec +
           r.ru_stime.tv_usec * 1e-6;
  return s;
}

// Other processes' share of all the cores since `start`, 0 to 1.
static double other_load(struct load_snapshot start) {
  struct load_snapshot end = load_now();
  double cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
  double other = (end.busy - start.busy) - (end.self - start.self);
  double share = other / ((end.wall - start.wall) * cores);
  return share < 0 ? 0 : share > 1 ? 1 : share;
}

// Waits (up to `patience` seconds) for a half second in which other
// processes kept no more than `max_share` of the cores busy.
static int wait_quiet(double max_share, double patience) {
  double give_up = now() + patience;
  do {
    struct load_snapshot start = load_now();
    struct timespec half = {0, 500000000};
    nanosleep(&half, NULL);
    if (other_load(start) <= max_share)
      return 1;
  } while (now() < give_up);
  return 0;
}

//===-- Streaming read bandwidth ----------------------------------------===//

// 32-byte vectors: one AVX2 load each (the machine this was written for has
// no AVX-512; with -march=native the compiler widens them where it can).
typedef uint64_t lanes_t __attribute__((vector_size(32)));

struct slice {
  const lanes_t *begin;
  size_t count;
  uint64_t sum;
};

static void *sum_slice(void *arg) {
  struct slice *s = arg;
  // Four accumulators, so the loads rather than one add chain set the pace.
  lanes_t a = {0}, b = {0}, c = {0}, d = {0};
  for (size_t i = 0; i + 4 <= s->count; i += 4) {
    a += s->begin[i];
    b += s->begin[i + 1];
    c += s->begin[i + 2];
    d += s->begin[i + 3];
  }
  lanes_t all = a + b + c + d;
  s->sum = all[0] + all[1] + all[2] + all[3];
  return NULL;
}

// Best of `tries` reads of the whole buffer by `threads` threads, each over
// its own contiguous slice, in bytes per second. The sum is printed so that
// no load can be dropped.
static double stream_read(const void *data, size_t bytes, int threads,
                          int tries) {
  size_t count = bytes / sizeof(lanes_t);
  size_t per_thread = count / threads / 4 * 4;
  double best = 0;
  for (int t = 0; t < tries; ++t) {
    struct slice slices[MAX_LIST];
    pthread_t workers[MAX_LIST];
    double start = now();
    for (int i = 0; i < threads; ++i) {
      slices[i].begin = (const lanes_t *)data + per_thread * i;
      slices[i].count = i == threads - 1 ? count - per_thread * i : per_thread;
      if (i > 0)
        pthread_create(&workers[i], NULL, sum_slice, &slices[i]);
    }
    sum_slice(&slices[0]);
    uint64_t sum = slices[0].sum;
    for (int i = 1; i < threads; ++i) {
      pthread_join(workers[i], NULL);
      sum += slices[i].sum;
    }
    double rate = bytes / (now() - start);
    if (rate > best)
      best = rate;
    if (sum == 42) // never true for the buffer we fill; keeps `sum` live
      fprintf(stderr, "\n");
  }
  return best;
}

static void measure_stream(const int *threads, int nthreads, size_t bytes,
                           const char *when) {
  unsigned char *buffer = xalloc(bytes);
  memset(buffer, 1, bytes); // touches every page before the clock starts
  for (int i = 0; i < nthreads; ++i) {
    double rate = stream_read(buffer, bytes, threads[i], 5);
    printf("{\"kind\": \"stream\", \"when\": \"%s\", \"threads\": %d, "
           "\"bytes\": %zu, \"bytes_per_s\": %.6e}\n",
           when, threads[i], bytes, rate);
    fflush(stdout);
    fprintf(stderr, "stream read (%s), %d thread(s): %.2f GB/s\n", when,
            threads[i], rate * 1e-9);
  }
  free(buffer);
}

//===-- One layer -------------------------------------------------------===//

struct options {
  int shapes[MAX_LIST][2]; // N, K
  int nshapes;
  int rows[MAX_LIST];
  int nrows;
  enum ggml_type types[MAX_LIST];
  int ntypes;
  int threads[MAX_LIST];
  int nthreads;
  double min_time; // seconds per repetition
  int repetitions;
  size_t stream_bytes;
  double cold_factor; // the cold copies exceed this many times the L3
  double max_other_load; // others' share of the cores that forces a retry
  int max_retries;       // per case
  double retry_budget;   // seconds of retries in the whole run
};

// The weights of one (shape, type): `copies` separate buffers holding the
// same bytes, so the cold mode can cycle through more memory than the
// caches hold while every copy computes the same product.
struct weights {
  enum ggml_type type;
  int n, k, copies;
  size_t bytes; // of one copy
  void **data;
};

static struct weights make_weights(enum ggml_type type, int n, int k,
                                   const float *w, size_t l3, double factor) {
  struct weights result = {type, n, k, 1, ggml_row_size(type, k) * n, NULL};
  // Enough copies that one cycle reads more than factor x L3, so no copy is
  // still cached when its turn comes again; at least two.
  size_t target = (size_t)(factor * l3);
  result.copies = (int)(target / result.bytes) + 1;
  if (result.copies < 2)
    result.copies = 2;
  result.data = calloc(result.copies, sizeof(void *));
  for (int c = 0; c < result.copies; ++c)
    result.data[c] = xalloc(result.bytes);
  if (type == GGML_TYPE_F32)
    memcpy(result.data[0], w, result.bytes);
  else
    ggml_quantize_chunk(type, w, result.data[0], 0, n, k, NULL);
  for (int c = 1; c < result.copies; ++c)
    memcpy(result.data[c], result.data[0], result.bytes);
  return result;
}

static void free_weights(struct weights *w) {
  for (int c = 0; c < w->copies; ++c)
    free(w->data[c]);
  free(w->data);
}

// How many weights the stored type does not give back exactly: ternary
// values with one power-of-two scale per row should survive every type here,
// so anything else means the comparison below is not like for like.
static long count_lossy(const struct weights *w, const float *original) {
  if (w->type == GGML_TYPE_F32)
    return 0;
  const struct ggml_type_traits *traits = ggml_get_type_traits(w->type);
  float *row = xalloc(sizeof(float) * w->k);
  size_t row_bytes = ggml_row_size(w->type, w->k);
  long lossy = 0;
  for (int i = 0; i < w->n; ++i) {
    traits->to_float((const char *)w->data[0] + row_bytes * i, row, w->k);
    for (int j = 0; j < w->k; ++j)
      lossy += row[j] != original[(size_t)i * w->k + j];
  }
  free(row);
  return lossy;
}

// ||y - ref|| / ||ref|| over the whole output.
static double relative_error(const float *y, const double *ref, size_t count) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < count; ++i) {
    double d = y[i] - ref[i];
    diff += d * d;
    norm += ref[i] * ref[i];
  }
  return sqrt(diff / (norm > 0 ? norm : 1));
}

// The exact product in double: ref[m, n] = scale * sum_k code[n, k] x[m, k].
static void reference(const int8_t *code, float scale, const float *x, int m,
                      int n, int k, double *ref) {
  double *xd = xalloc(sizeof(double) * (size_t)m * k);
  for (size_t i = 0; i < (size_t)m * k; ++i)
    xd[i] = x[i];
  for (int j = 0; j < n; ++j) {
    const int8_t *row = code + (size_t)j * k;
    for (int i = 0; i < m; ++i) {
      const double *xr = xd + (size_t)i * k;
      double sum = 0;
      for (int l = 0; l < k; ++l)
        sum += row[l] * xr[l];
      ref[(size_t)i * n + j] = scale * sum;
    }
  }
  free(xd);
}

// One graph per weight copy, all reading the same activations and writing
// the same output buffer, so that between copies only the weights differ.
struct layer {
  struct ggml_context *ctx;
  struct ggml_cgraph **graphs;
  struct ggml_cplan *plans;
  void *work;
  int copies;
};

static struct layer make_layer(const struct weights *w, float *x, int m,
                               float *y, int threads,
                               struct ggml_threadpool *pool) {
  struct layer l = {0};
  l.copies = w->copies;
  struct ggml_init_params params = {
      .mem_size = (size_t)w->copies * (3 * ggml_tensor_overhead() +
                                       ggml_graph_overhead_custom(4, false)) +
                  (1 << 16),
      .mem_buffer = NULL,
      // The data is ours (xalloc'ed above); the context only holds headers.
      .no_alloc = true,
  };
  l.ctx = ggml_init(params);
  l.graphs = calloc(w->copies, sizeof *l.graphs);
  l.plans = calloc(w->copies, sizeof *l.plans);
  struct ggml_tensor *xt = ggml_new_tensor_2d(l.ctx, GGML_TYPE_F32, w->k, m);
  xt->data = x;
  size_t work = 0;
  for (int c = 0; c < w->copies; ++c) {
    struct ggml_tensor *wt = ggml_new_tensor_2d(l.ctx, w->type, w->k, w->n);
    wt->data = w->data[c];
    struct ggml_tensor *yt = ggml_mul_mat(l.ctx, wt, xt);
    yt->data = y;
    l.graphs[c] = ggml_new_graph_custom(l.ctx, 4, false);
    ggml_build_forward_expand(l.graphs[c], yt);
    l.plans[c] = ggml_graph_plan(l.graphs[c], threads, pool);
    if (l.plans[c].work_size > work)
      work = l.plans[c].work_size;
  }
  // One work buffer (where TQ types put the q8_K copy of x) for all copies.
  l.work = work ? xalloc(work) : NULL;
  for (int c = 0; c < w->copies; ++c)
    l.plans[c].work_data = l.work;
  return l;
}

static void free_layer(struct layer *l) {
  ggml_free(l->ctx);
  free(l->graphs);
  free(l->plans);
  free(l->work);
}

static void compute(struct layer *l, int copy) {
  if (ggml_graph_compute(l->graphs[copy], &l->plans[copy]) !=
      GGML_STATUS_SUCCESS) {
    fprintf(stderr, "error: ggml_graph_compute failed\n");
    exit(1);
  }
}

// Warms up, then runs `repetitions` batches of calls: the first lasts at
// least min_time and sets the number of calls of the others. `cycle` is how
// many copies to go round (1: hot, the same weights every call). Fills the
// per-call seconds of each batch, sorted.
static void time_calls(struct layer *l, int cycle, double min_time,
                       int repetitions, double *per_call, long *calls) {
  int copy = 0;
  // Warm-up: one round of the copies (every page touched, every thread up)
  // and at least a tenth of a repetition.
  double start = now();
  for (int i = 0; i < cycle || now() - start < min_time / 10; ++i) {
    compute(l, copy);
    copy = (copy + 1) % cycle;
  }
  long n = 0;
  for (int r = 0; r < repetitions; ++r) {
    start = now();
    double elapsed;
    long done = 0;
    do {
      compute(l, copy);
      copy = (copy + 1) % cycle;
      ++done;
      elapsed = now() - start;
    } while (r == 0 ? elapsed < min_time : done < n);
    if (r == 0)
      n = done;
    per_call[r] = elapsed / done;
  }
  *calls = n;
  qsort(per_call, repetitions, sizeof(double), compare_doubles);
}

static void run_shape(const struct options *o, int n, int k, size_t l3,
                      double *retry_budget) {
  // Ternary codes, uniform over {-1, 0, +1} (so about a third are zero),
  // seeded by the shape. One power-of-two scale, exact in the fp16 block
  // scales of the ternary types.
  const float scale = 1.0f / 64;
  size_t count = (size_t)n * k;
  int8_t *code = xalloc(count);
  float *w = xalloc(sizeof(float) * count);
  uint64_t seed = 0x5EED0000ull ^ ((uint64_t)n << 32) ^ (uint64_t)k;
  for (size_t i = 0; i < count; ++i) {
    code[i] = (int8_t)((next_random(&seed) >> 11) % 3) - 1;
    w[i] = code[i] * scale;
  }

  // Activations and the double-precision product for each M, shared by
  // every type and thread count.
  float *xs[MAX_LIST];
  double *refs[MAX_LIST];
  int max_m = 0;
  for (int r = 0; r < o->nrows; ++r) {
    int m = o->rows[r];
    if (m > max_m)
      max_m = m;
    xs[r] = xalloc(sizeof(float) * (size_t)m * k);
    uint64_t xseed = 0xAC71ull + (uint64_t)m * 1000003u + k;
    for (size_t i = 0; i < (size_t)m * k; ++i)
      xs[r][i] = (float)((next_random(&xseed) >> 11) * 0x1.0p-53 * 2 - 1);
    refs[r] = xalloc(sizeof(double) * (size_t)m * n);
    reference(code, scale, xs[r], m, n, k, refs[r]);
  }
  float *y = xalloc(sizeof(float) * (size_t)max_m * n);

  for (int t = 0; t < o->ntypes; ++t) {
    enum ggml_type type = o->types[t];
    const char *name = ggml_type_name(type);
    if (k % ggml_blck_size(type) != 0) {
      fprintf(stderr, "skip %s %dx%d: K is not a multiple of %lld\n", name, n,
              k, (long long)ggml_blck_size(type));
      continue;
    }
    struct weights wq = make_weights(type, n, k, w, l3, o->cold_factor);
    long lossy = count_lossy(&wq, w);
    if (lossy) {
      fprintf(stderr, "error: %s does not store these ternary weights exactly "
              "(%ld of %zu differ)\n", name, lossy, count);
      exit(1);
    }
    // Activations quantized by ggml (q8_K for the TQ types) cost accuracy;
    // a float dot product only rounding.
    enum ggml_type dot = ggml_get_type_traits_cpu(type)->vec_dot_type;
    double tolerance = dot == GGML_TYPE_F32 ? 1e-4 : 1e-2;

    for (int h = 0; h < o->nthreads; ++h) {
      int threads = o->threads[h];
      struct ggml_threadpool_params tp = ggml_threadpool_params_default(threads);
      struct ggml_threadpool *pool = ggml_threadpool_new(&tp);
      for (int r = 0; r < o->nrows; ++r) {
        int m = o->rows[r];
        struct layer l = make_layer(&wq, xs[r], m, y, threads, pool);

        // Check the first copy and the last before timing either.
        double err = 0;
        for (int c = 0; c < wq.copies; c += wq.copies - 1) {
          memset(y, 0xff, sizeof(float) * (size_t)m * n); // NaN: no stale pass
          compute(&l, c);
          double e = relative_error(y, refs[r], (size_t)m * n);
          if (!(e <= err))
            err = e;
        }
        if (!(err <= tolerance)) {
          fprintf(stderr, "error: %s %dx%d M=%d threads=%d: relative error "
                  "%.3g exceeds %.3g\n", name, n, k, m, threads, err,
                  tolerance);
          exit(1);
        }

        // Timed again (while the retry budget lasts) when other processes
        // kept the machine busy, since ggml's threads spin at each barrier
        // and one of them descheduled stalls the rest; the attempt with the
        // least such load is kept.
        double hot[MAX_LIST], cold[MAX_LIST], others = 2;
        long hot_calls = 0, cold_calls = 0;
        int attempts = 0;
        while (attempts < 1 + o->max_retries) {
          if (attempts > 0) {
            if (*retry_budget <= 0)
              break;
            double waited = now();
            int quiet = wait_quiet(o->max_other_load, 5.0);
            *retry_budget -= now() - waited;
            if (!quiet)
              break;
          }
          double try_hot[MAX_LIST], try_cold[MAX_LIST];
          long try_hot_calls, try_cold_calls;
          double started = now();
          struct load_snapshot load = load_now();
          time_calls(&l, 1, o->min_time, o->repetitions, try_hot,
                     &try_hot_calls);
          time_calls(&l, wq.copies, o->min_time, o->repetitions, try_cold,
                     &try_cold_calls);
          double try_others = other_load(load);
          if (attempts > 0)
            *retry_budget -= now() - started;
          ++attempts;
          if (try_others < others) {
            others = try_others;
            memcpy(hot, try_hot, sizeof hot);
            memcpy(cold, try_cold, sizeof cold);
            hot_calls = try_hot_calls;
            cold_calls = try_cold_calls;
          }
          if (others <= o->max_other_load)
            break;
        }
        int mid = o->repetitions / 2;
        printf("{\"kind\": \"case\", \"type\": \"%s\", \"n\": %d, \"k\": %d, "
               "\"m\": %d, \"threads\": %d, \"weight_bytes\": %zu, "
               "\"copies\": %d, \"rel_error\": %.3e, \"tolerance\": %.1e, "
               "\"hot_min_us\": %.3f, \"hot_median_us\": %.3f, "
               "\"hot_calls\": %ld, \"cold_min_us\": %.3f, "
               "\"cold_median_us\": %.3f, \"cold_calls\": %ld, "
               "\"other_load\": %.3f, \"attempts\": %d}\n",
               name, n, k, m, threads, wq.bytes, wq.copies, err, tolerance,
               hot[0] * 1e6, hot[mid] * 1e6, hot_calls, cold[0] * 1e6,
               cold[mid] * 1e6, cold_calls, others, attempts);
        fflush(stdout);
        fprintf(stderr, "%-6s %5dx%-5d M=%-4d T=%d  hot %10.1f us  cold "
                "%10.1f us  err %.2e  others %2.0f%% (%d attempt%s)\n", name, n,
                k, m, threads, hot[0] * 1e6, cold[0] * 1e6, err, others * 100,
                attempts, attempts == 1 ? "" : "s");
        free_layer(&l);
      }
      ggml_threadpool_free(pool);
    }
    free_weights(&wq);
  }

  for (int r = 0; r < o->nrows; ++r) {
    free(xs[r]);
    free(refs[r]);
  }
  free(y);
  free(w);
  free(code);
}

//===-- Command line ----------------------------------------------------===//

static void usage(void) {
  fprintf(stderr,
          "usage: ggml_mul_mat [--shapes NxK,...] [--rows M,...] "
          "[--types tq2_0,...]\n"
          "                    [--threads T,...] [--min-time S] "
          "[--repetitions R]\n"
          "                    [--stream-bytes B] [--cold-factor F]\n"
          "                    [--max-other-load F] [--retries N] "
          "[--retry-budget S]\n");
  exit(2);
}

// Splits a comma- or space-separated list; returns the number of items.
static int split(const char *text, char items[MAX_LIST][32]) {
  int count = 0;
  const char *p = text;
  while (*p) {
    while (*p == ',' || *p == ' ')
      ++p;
    if (!*p)
      break;
    if (count == MAX_LIST) {
      fprintf(stderr, "error: more than %d items in '%s'\n", MAX_LIST, text);
      exit(2);
    }
    int len = 0;
    while (p[len] && p[len] != ',' && p[len] != ' ')
      ++len;
    snprintf(items[count++], 32, "%.*s", len, p);
    p += len;
  }
  return count;
}

static enum ggml_type parse_type(const char *name) {
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char *known = ggml_type_name((enum ggml_type)t);
    if (known && strcasecmp(known, name) == 0) {
      if (ggml_quantize_requires_imatrix((enum ggml_type)t)) {
        fprintf(stderr, "error: %s needs an importance matrix\n", name);
        exit(2);
      }
      return (enum ggml_type)t;
    }
  }
  fprintf(stderr, "error: unknown ggml type '%s'\n", name);
  exit(2);
}

static struct options parse(int argc, char **argv) {
  struct options o = {
      .min_time = 0.5,
      .repetitions = 5,
      .stream_bytes = (size_t)1 << 30,
      .cold_factor = 2.0,
      .max_other_load = 0.10,
      .max_retries = 2,
      .retry_budget = 60,
  };
  const char *shapes = "4096x4096,2560x6912,6912x2560";
  const char *rows = "1,8,32,128";
  const char *types = "tq2_0,tq1_0,f32";
  const char *threads = "1";
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!value)
      usage();
    if (!strcmp(arg, "--shapes"))
      shapes = value;
    else if (!strcmp(arg, "--rows"))
      rows = value;
    else if (!strcmp(arg, "--types"))
      types = value;
    else if (!strcmp(arg, "--threads"))
      threads = value;
    else if (!strcmp(arg, "--min-time"))
      o.min_time = atof(value);
    else if (!strcmp(arg, "--repetitions"))
      o.repetitions = atoi(value);
    else if (!strcmp(arg, "--stream-bytes"))
      o.stream_bytes = strtoull(value, NULL, 10);
    else if (!strcmp(arg, "--cold-factor"))
      o.cold_factor = atof(value);
    else if (!strcmp(arg, "--max-other-load"))
      o.max_other_load = atof(value);
    else if (!strcmp(arg, "--retries"))
      o.max_retries = atoi(value);
    else if (!strcmp(arg, "--retry-budget"))
      o.retry_budget = atof(value);
    else
      usage();
    ++i;
  }
  char items[MAX_LIST][32];
  o.nshapes = split(shapes, items);
  for (int i = 0; i < o.nshapes; ++i)
    if (sscanf(items[i], "%dx%d", &o.shapes[i][0], &o.shapes[i][1]) != 2 ||
        o.shapes[i][0] <= 0 || o.shapes[i][1] <= 0) {
      fprintf(stderr, "error: shape '%s' is not NxK\n", items[i]);
      exit(2);
    }
  o.nrows = split(rows, items);
  for (int i = 0; i < o.nrows; ++i)
    if ((o.rows[i] = atoi(items[i])) <= 0)
      usage();
  o.ntypes = split(types, items);
  for (int i = 0; i < o.ntypes; ++i)
    o.types[i] = parse_type(items[i]);
  o.nthreads = split(threads, items);
  for (int i = 0; i < o.nthreads; ++i)
    if ((o.threads[i] = atoi(items[i])) <= 0 || o.threads[i] > MAX_LIST)
      usage();
  if (o.repetitions < 1 || o.repetitions > MAX_LIST || o.min_time <= 0 ||
      o.stream_bytes < 1024 || o.cold_factor <= 0 || o.max_retries < 0)
    usage();
  o.stream_bytes = o.stream_bytes / 1024 * 1024;
  return o;
}

int main(int argc, char **argv) {
  struct options o = parse(argc, argv);
  ggml_cpu_init();
  size_t l3 = l3_bytes();
  if (!l3) {
    l3 = (size_t)32 << 20;
    fprintf(stderr, "warning: no L3 size in sysfs; assuming 32 MiB\n");
  }
  printf("{\"kind\": \"info\", \"ggml_version\": \"%s\", \"ggml_commit\": "
         "\"%s\", \"l3_bytes\": %zu, \"avx2\": %d, \"avx512\": %d, "
         "\"fma\": %d, \"f16c\": %d, \"llamafile\": %d, \"min_time\": %g, "
         "\"repetitions\": %d, \"cold_factor\": %g, \"max_other_load\": %g, "
         "\"retries\": %d, \"retry_budget\": %g}\n",
         ggml_version(), ggml_commit(), l3, ggml_cpu_has_avx2(),
         ggml_cpu_has_avx512(), ggml_cpu_has_fma(), ggml_cpu_has_f16c(),
         ggml_cpu_has_llamafile(), o.min_time, o.repetitions, o.cold_factor,
         o.max_other_load, o.max_retries, o.retry_budget);
  fflush(stdout);

  // Bandwidth before and after the layers: the report takes the better of
  // the two, since other load on the machine only ever lowers it.
  double retry_budget = o.retry_budget;
  measure_stream(o.threads, o.nthreads, o.stream_bytes, "before");
  for (int s = 0; s < o.nshapes; ++s)
    run_shape(&o, o.shapes[s][0], o.shapes[s][1], l3, &retry_budget);
  measure_stream(o.threads, o.nthreads, o.stream_bytes, "after");
  return 0;
}
