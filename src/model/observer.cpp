#include "model/observer.h"

#include <atomic>

namespace hearth::model {
namespace {
std::atomic<MatmulObserver*> g_observer{nullptr};
}  // namespace

void set_matmul_observer(MatmulObserver* observer) {
  g_observer.store(observer, std::memory_order_release);
}

MatmulObserver* matmul_observer() {
  return g_observer.load(std::memory_order_relaxed);
}

}  // namespace hearth::model
