#include "fit/plan.h"

#include <gtest/gtest.h>

#include "fit/devices.h"

namespace hearth::fit {
namespace {

ModelSpec llama8b() {
  return *spec_for_scheme(*find_preset("llama-3.1-8b"), **find_scheme("Q4_K_M"), "preset");
}

TEST(Plan, ChoosesContextAndParallelThatFit) {
  PlanRequest req;
  req.memory_bytes = 7ull << 30;
  auto plan = plan_for_model(llama8b(), req);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_GT(plan->n_ctx, 0);
  EXPECT_LE(plan->n_ctx, 8192);
  EXPECT_GE(plan->n_parallel, 1);
  EXPECT_LE(plan->memory.total_bytes, req.memory_bytes);
}

TEST(Plan, ShrinksContextWhenMemoryIsTight) {
  PlanRequest req;
  req.memory_bytes = 5'600'000'000ull;
  auto plan = plan_for_model(llama8b(), req);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_LT(plan->n_ctx, 8192);
  EXPECT_EQ(plan->n_parallel, 1);
}

TEST(Plan, RefusesWithAnActionableMessage) {
  PlanRequest req;
  req.memory_bytes = 6ull << 30;
  req.n_ctx = 131072;
  req.n_parallel = 1;
  auto plan = plan_for_model(llama8b(), req);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(plan.status().message().find("--ctx"), std::string::npos) << plan.status().message();
  req.memory_bytes = 2ull << 30;  // not even the weights
  plan = plan_for_model(llama8b(), req);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("smaller quantization"), std::string::npos);
}

TEST(Devices, CatalogAndMeminfo) {
  auto d = find_device("RTX-4090");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->total_memory_bytes, 24ull << 30);
  EXPECT_LT(d->memory_bytes, d->total_memory_bytes);
  EXPECT_FALSE(find_device("rtx-9999").ok());
  auto info = parse_meminfo(
      "MemTotal:       24576000 kB\nMemFree:  1000 kB\nMemAvailable:   20000000 kB\n");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->total_bytes, 24576000ull * 1024);
  EXPECT_EQ(info->available_bytes, 20000000ull * 1024);
  EXPECT_FALSE(parse_meminfo("garbage").ok());
}

TEST(Devices, MeasuredBandwidthIsPlausible) {
  const double bw = measure_read_bandwidth(64u << 20, 2, 2);
  EXPECT_GT(bw, 1e9);  // any machine reads more than 1 GB/s
  EXPECT_LT(bw, 1e13);
}

}  // namespace
}  // namespace hearth::fit

namespace hearth::fit {
namespace {

TEST(Devices, ThisMachineReadsMeminfoAndTakesAGivenBandwidth) {
  auto d = find_device("this", 25e9);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DeviceKind::kCpu);
  EXPECT_GT(d->total_memory_bytes, 0u);
  EXPECT_LE(d->memory_bytes, d->total_memory_bytes);
  EXPECT_DOUBLE_EQ(d->bandwidth_bytes_per_s, 25e9);
  EXPECT_GT(d->flops, 0);
}

}  // namespace
}  // namespace hearth::fit
