// CUDA extras that need the CUDA toolkit's headers: caching-allocator statistics, emptyCache, and
// CUDA graphs (at::cuda::CUDAGraph: capture on a side stream, replay).
// Built only when find-libtorch found libtorch_cuda and a toolkit (SOUS_CUDA_EXTRAS); elsewhere these
// entry points report that CUDA is not available.
#include "core.h"

#ifdef SOUS_CUDA_EXTRAS
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <memory>
#include <optional>
#include <unordered_map>
#endif

namespace sous {

#ifdef SOUS_CUDA_EXTRAS
static Napi::Value cudaMemoryStats(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    int device = info.Length() > 0 && !isNone(info[0]) ? static_cast<int>(toInt(info[0])) : c10::cuda::current_device();
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    // StatType::AGGREGATE is 0 in every version; the enum itself moved namespaces in 2.x
    // (c10::CachingDeviceAllocator), so it is not named here.
    const size_t agg = 0;
    auto o = Napi::Object::New(env);
    o.Set("allocated", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].current)));
    o.Set("peakAllocated", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].peak)));
    o.Set("reserved", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].current)));
    o.Set("peakReserved", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].peak)));
    o.Set("numOoms", Napi::Number::New(env, static_cast<double>(stats.num_ooms)));
    return o;
  });
}
static Napi::Value cudaEmptyCache(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    c10::cuda::CUDACachingAllocator::emptyCache();
    return info.Env().Undefined();
  });
}
static Napi::Value cudaResetPeak(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    int device = info.Length() > 0 && !isNone(info[0]) ? static_cast<int>(toInt(info[0])) : c10::cuda::current_device();
    c10::cuda::CUDACachingAllocator::resetPeakStats(device);
    return info.Env().Undefined();
  });
}

// CUDA graphs. Capture may not run on the legacy default stream, so capture (and the warm-up
// before it, as PyTorch's torch.cuda.graph does) runs with a pool stream made current by a guard
// that lives between the Begin and End calls; the device is synchronised on both sides so that
// nothing queued on the default stream overlaps. Graphs are kept here by id: JS holds numbers.
static std::unordered_map<int64_t, std::unique_ptr<at::cuda::CUDAGraph>> graphs;
static int64_t nextGraphId = 1;
static std::optional<c10::cuda::CUDAStreamGuard> sideStreamGuard;

static at::cuda::CUDAGraph& graphOf(const Napi::Value& v) {
  auto it = graphs.find(toInt(v));
  if (it == graphs.end()) throw std::runtime_error("this CUDA graph was disposed");
  return *it->second;
}

static void enterSideStream() {
  if (sideStreamGuard.has_value()) throw std::runtime_error("a CUDA-graph capture or warm-up is already in progress (they do not nest)");
  c10::cuda::device_synchronize();
  sideStreamGuard.emplace(at::cuda::getStreamFromPool());
}

static void leaveSideStream() {
  sideStreamGuard.reset();
  c10::cuda::device_synchronize();
}

static Napi::Value cudaGraphNew(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    int64_t id = nextGraphId++;
    graphs.emplace(id, std::make_unique<at::cuda::CUDAGraph>());
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  });
}

static Napi::Value cudaSideStreamBegin(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    enterSideStream();
    return info.Env().Undefined();
  });
}

static Napi::Value cudaSideStreamEnd(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    leaveSideStream();
    return info.Env().Undefined();
  });
}

static Napi::Value cudaGraphCaptureBegin(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto& g = graphOf(info[0]);
    enterSideStream();
    try {
      g.capture_begin();
    } catch (...) {
      sideStreamGuard.reset();
      throw;
    }
    return info.Env().Undefined();
  });
}

// Ends the capture; also called after a failed capture, where capture_end reports why (an op that
// synchronised with the host, for example). The side stream is left in either case.
static Napi::Value cudaGraphCaptureEnd(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto& g = graphOf(info[0]);
    try {
      g.capture_end();
    } catch (...) {
      sideStreamGuard.reset();
      throw;
    }
    leaveSideStream();
    return info.Env().Undefined();
  });
}

static Napi::Value cudaGraphReplay(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    graphOf(info[0]).replay();
    return info.Env().Undefined();
  });
}

static Napi::Value cudaGraphDispose(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    graphs.erase(toInt(info[0]));
    return info.Env().Undefined();
  });
}
#endif

void registerCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaExtras", Napi::Boolean::New(env,
#ifdef SOUS_CUDA_EXTRAS
                                               true
#else
                                               false
#endif
                                               ));
#ifdef SOUS_CUDA_EXTRAS
  exports.Set("cudaMemoryStats", Napi::Function::New(env, cudaMemoryStats, "cudaMemoryStats"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, cudaEmptyCache, "cudaEmptyCache"));
  exports.Set("cudaResetPeak", Napi::Function::New(env, cudaResetPeak, "cudaResetPeak"));
  exports.Set("cudaGraphNew", Napi::Function::New(env, cudaGraphNew, "cudaGraphNew"));
  exports.Set("cudaGraphCaptureBegin", Napi::Function::New(env, cudaGraphCaptureBegin, "cudaGraphCaptureBegin"));
  exports.Set("cudaGraphCaptureEnd", Napi::Function::New(env, cudaGraphCaptureEnd, "cudaGraphCaptureEnd"));
  exports.Set("cudaGraphReplay", Napi::Function::New(env, cudaGraphReplay, "cudaGraphReplay"));
  exports.Set("cudaGraphDispose", Napi::Function::New(env, cudaGraphDispose, "cudaGraphDispose"));
  exports.Set("cudaSideStreamBegin", Napi::Function::New(env, cudaSideStreamBegin, "cudaSideStreamBegin"));
  exports.Set("cudaSideStreamEnd", Napi::Function::New(env, cudaSideStreamEnd, "cudaSideStreamEnd"));
#endif
}

}  // namespace sous
