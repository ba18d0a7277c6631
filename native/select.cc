// Selection without sorting everything (DESIGN §2 sparsifiers): candidates above
// a sampled bound, one nth_element over those, then one ordered pass. Results
// (including which of several equal values win) match src/kernels/select.ts.
#include <algorithm>
#include <functional>

#include "candidates.h"
#include "kernels.h"
#include "parallel.h"

namespace cosae {

std::vector<Candidates> collect_parallel(const float *p, int64_t rows, int64_t m, float bound) {
  std::vector<Candidates> parts(parallel_parts(rows, 16));
  parallel_for(rows, 16, [&](int part, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) parts[part].collect(p + t * m, m, t * m, bound);
  });
  return parts;
}

Sparse finish_batch_topk(std::vector<Candidates> &parts, int64_t rows, int64_t m, int64_t count) {
  int64_t total = 0;
  for (auto &c : parts) total += c.count;
  const int64_t keep = std::min(count, total);
  Sparse out;
  out.row_start.assign(rows + 1, 0);
  if (keep == 0) return out;
  std::vector<float> values;
  values.reserve(total);
  for (auto &c : parts) values.insert(values.end(), c.value.begin(), c.value.begin() + c.count);
  std::nth_element(values.begin(), values.begin() + (keep - 1), values.end(), std::greater<float>());
  const float cut = values[keep - 1];
  int64_t above = 0;
  for (float v : values) above += v > cut;
  // Entries strictly above the cut all win; ties at the cut fill the rest, first come first served.
  int64_t ties_left = keep - above;
  out.index.reserve(keep);
  out.value.reserve(keep);
  int64_t row = 0;
  for (auto &c : parts) {
    for (int64_t i = 0; i < c.count; i++) {
      const float v = c.value[i];
      if (v > cut || (v == cut && ties_left-- > 0)) {
        const int64_t at = c.position[i];
        const int64_t t = at / m;
        while (row < t) out.row_start[++row] = static_cast<int32_t>(out.index.size());
        out.index.push_back(static_cast<int32_t>(at - t * m));
        out.value.push_back(v);
      }
    }
  }
  while (row < rows) out.row_start[++row] = static_cast<int32_t>(out.index.size());
  return out;
}

Sparse select_batch_topk(const float *p, int64_t rows, int64_t m, int64_t count) {
  const int64_t total = rows * m;
  const float bound = sampled_lower_bound(total, count, [&](int64_t i) { return static_cast<double>(p[i]); });
  auto parts = collect_parallel(p, rows, m, bound);
  int64_t found = 0;
  for (auto &c : parts) found += c.count;
  if (found < count && bound > 0) parts = collect_parallel(p, rows, m, 0.0f);
  return finish_batch_topk(parts, rows, m, count);
}

namespace {

// Per-row results written into fixed slots, then compacted in row order.
struct RowSlots {
  std::vector<int32_t> index;
  std::vector<float> value;
  std::vector<int32_t> count;
};

Sparse compact(const RowSlots &slots, int64_t rows, int64_t width) {
  Sparse out;
  out.row_start.assign(rows + 1, 0);
  for (int64_t t = 0; t < rows; t++) out.row_start[t + 1] = out.row_start[t] + slots.count[t];
  out.index.resize(out.row_start[rows]);
  out.value.resize(out.row_start[rows]);
  for (int64_t t = 0; t < rows; t++) {
    std::copy_n(slots.index.begin() + t * width, slots.count[t], out.index.begin() + out.row_start[t]);
    std::copy_n(slots.value.begin() + t * width, slots.count[t], out.value.begin() + out.row_start[t]);
  }
  return out;
}

// Scratch of topk_row: a row's positive entries, in column order.
struct RowScratch {
  std::vector<int32_t> column;
  std::vector<float> value, sorted;
};

// The k largest positive entries of row `p` read at columns col(0..n), in column order; returns how many.
// One pass collects the positives (branch-free: they are few and unpredictable); when
// there are no more than k of them (AuxK: ~190 positive dead scores for kAux = d/2) they
// are the answer, else one nth_element finds the cut and ties go to the lowest columns.
template <typename Column>
int32_t topk_row(const float *p, int64_t n, int64_t k, Column col, RowScratch &s, int32_t *index, float *value) {
  if (k <= 0) return 0;
  s.column.resize(n + 1);
  s.value.resize(n + 1);
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) {
    const int32_t j = static_cast<int32_t>(col(i));
    const float v = p[j];
    s.column[count] = j;
    s.value[count] = v;
    count += v > 0.0f;
  }
  if (count <= k) {
    std::copy(s.column.begin(), s.column.begin() + count, index);
    std::copy(s.value.begin(), s.value.begin() + count, value);
    return static_cast<int32_t>(count);
  }
  s.sorted.assign(s.value.begin(), s.value.begin() + count);
  std::nth_element(s.sorted.begin(), s.sorted.begin() + (k - 1), s.sorted.end(), std::greater<float>());
  const float cut = s.sorted[k - 1];
  int64_t above = 0;
  for (float v : s.sorted) above += v > cut;
  int64_t ties_left = k - above;
  int32_t c = 0;
  for (int64_t i = 0; i < count; i++) {
    const float v = s.value[i];
    if (v > cut || (v == cut && ties_left-- > 0)) {
      index[c] = s.column[i];
      value[c++] = v;
    }
  }
  return c;
}

}  // namespace

Sparse select_topk(const float *p, int64_t rows, int64_t m, int64_t k) {
  const int64_t width = std::min(k, m);
  RowSlots slots{std::vector<int32_t>(rows * width), std::vector<float>(rows * width), std::vector<int32_t>(rows)};
  parallel_for(rows, 16, [&](int, int64_t begin, int64_t end) {
    RowScratch scratch;
    for (int64_t t = begin; t < end; t++)
      slots.count[t] = topk_row(p + t * m, m, width, [](int64_t i) { return i; }, scratch,
                                &slots.index[t * width], &slots.value[t * width]);
  });
  return compact(slots, rows, width);
}

Sparse select_topk_among(const float *p, int64_t rows, int64_t m, const int32_t *columns,
                         int64_t column_count, int64_t k) {
  const int64_t width = std::min(k, column_count);
  RowSlots slots{std::vector<int32_t>(rows * width), std::vector<float>(rows * width), std::vector<int32_t>(rows)};
  parallel_for(rows, 16, [&](int, int64_t begin, int64_t end) {
    RowScratch scratch;
    for (int64_t t = begin; t < end; t++)
      slots.count[t] = topk_row(p + t * m, column_count, width, [&](int64_t i) { return columns[i]; }, scratch,
                                &slots.index[t * width], &slots.value[t * width]);
  });
  return compact(slots, rows, width);
}

Sparse select_above_threshold(const float *p, int64_t rows, int64_t m, const double *threshold) {
  std::vector<Sparse> parts(parallel_parts(rows, 16));
  std::vector<int32_t> counts(rows);
  parallel_for(rows, 16, [&](int part, int64_t begin, int64_t end) {
    Sparse &s = parts[part];
    for (int64_t t = begin; t < end; t++) {
      const size_t before = s.index.size();
      const float *row = p + t * m;
      for (int64_t j = 0; j < m; j++) {
        const float v = row[j];
        if (static_cast<double>(v) > threshold[j] && v > 0.0f) {
          s.index.push_back(static_cast<int32_t>(j));
          s.value.push_back(v);
        }
      }
      counts[t] = static_cast<int32_t>(s.index.size() - before);
    }
  });
  Sparse out;
  out.row_start.assign(rows + 1, 0);
  for (int64_t t = 0; t < rows; t++) out.row_start[t + 1] = out.row_start[t] + counts[t];
  for (auto &s : parts) {
    out.index.insert(out.index.end(), s.index.begin(), s.index.end());
    out.value.insert(out.value.end(), s.value.begin(), s.value.end());
  }
  return out;
}

}  // namespace cosae
