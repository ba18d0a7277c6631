// A fixed-partition parallel loop. The range [0, n) is cut into `parts`
// contiguous pieces that depend only on n and the thread count, never on
// timing, so anything merged piece by piece afterwards is deterministic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace cosae {

// Worker threads used by every kernel (set from JS; default: all cores).
int thread_count();
void set_thread_count(int threads);

// Calls body(part, begin, end) for each piece; piece 0 runs on the calling
// thread. Work below `grain` items per piece runs in fewer pieces.
inline void parallel_for(int64_t n, int64_t grain,
                         const std::function<void(int, int64_t, int64_t)> &body) {
  int parts = static_cast<int>(std::min<int64_t>(thread_count(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1))));
  if (parts <= 1) {
    body(0, 0, n);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  for (int p = 1; p < parts; p++)
    workers.emplace_back(body, p, n * p / parts, n * (p + 1) / parts);
  body(0, 0, n / parts);
  for (auto &w : workers) w.join();
}

// The number of pieces parallel_for will use for n items at this grain.
inline int parallel_parts(int64_t n, int64_t grain) {
  return static_cast<int>(std::min<int64_t>(thread_count(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1))));
}

}  // namespace cosae
