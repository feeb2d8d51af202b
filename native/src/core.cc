// The hand-written core: tensor handles and their memory accounting, creation from JS data, reading
// data back, metadata, autograd, modes and seeds. Everything else is generated (gen/).
#include "core.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <malloc.h>
#include <memory>
#include <unordered_map>
#include <vector>

namespace sous {

// ---- handles and external-memory accounting ----
//
// V8 does not see libtorch's memory, so each CPU storage is reported once through
// AdjustExternalMemory while any JS handle holds it (several views share one storage).

namespace {
// Storages held by live handles: an open-addressing table keyed by StorageImpl* (linear probing,
// backward-shift deletion), so that counting a new tensor's storage allocates nothing; an
// unordered_map node per tensor (a malloc and a free) cost about as much as the rest of the handle.
struct StorageEntry {
  c10::StorageImpl* key = nullptr;
  int64_t handles = 0;
  int64_t bytes = 0;
};
class StorageTable {
 public:
  StorageTable() : slots_(64) {}
  // The entry for `s`, inserted with zero counts when missing.
  StorageEntry& at(c10::StorageImpl* s) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    size_t i = index(s);
    while (slots_[i].key != nullptr && slots_[i].key != s) i = (i + 1) & mask();
    if (slots_[i].key == nullptr) {
      slots_[i].key = s;
      slots_[i].handles = 0;
      slots_[i].bytes = 0;
      size_++;
    }
    return slots_[i];
  }
  StorageEntry* find(c10::StorageImpl* s) {
    size_t i = index(s);
    while (slots_[i].key != nullptr) {
      if (slots_[i].key == s) return &slots_[i];
      i = (i + 1) & mask();
    }
    return nullptr;
  }
  void erase(StorageEntry* e) {
    size_t i = static_cast<size_t>(e - slots_.data());
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask();
      if (slots_[j].key == nullptr) break;
      size_t home = index(slots_[j].key);
      // Move j back to the hole at i unless its home lies cyclically in (i, j].
      bool inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!inRange) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = StorageEntry{};
    size_--;
  }
  size_t size() const { return size_; }

 private:
  size_t mask() const { return slots_.size() - 1; }
  size_t index(c10::StorageImpl* s) const {
    uint64_t h = reinterpret_cast<uintptr_t>(s) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> 32) & mask();
  }
  void grow() {
    std::vector<StorageEntry> old(slots_.size() * 2);
    old.swap(slots_);
    size_ = 0;
    for (const StorageEntry& e : old) {
      if (e.key == nullptr) continue;
      StorageEntry& n = at(e.key);
      n.handles = e.handles;
      n.bytes = e.bytes;
    }
  }
  std::vector<StorageEntry> slots_;
  size_t size_ = 0;
};
StorageTable g_storages;
int64_t g_accountedBytes = 0;
int64_t g_liveHandles = 0;   // boxes holding a defined tensor
int64_t g_createdHandles = 0;
napi_env g_env = nullptr;

// V8 is told about external memory in batches: a call per small tensor cost more than the op; the
// exact count stays in g_accountedBytes (memory().cpuBytes). Deltas of 1 MiB and more go at once.
constexpr int64_t kExternalBatch = 1 << 20;
int64_t g_externalPending = 0;
void reportExternal(int64_t delta) {
  g_externalPending += delta;
  if (g_env && (g_externalPending >= kExternalBatch || g_externalPending <= -kExternalBatch)) {
    Napi::MemoryManagement::AdjustExternalMemory(g_env, g_externalPending);
    g_externalPending = 0;
  }
}

void account(Box* b) {
  const at::Tensor& t = b->t;
  if (!t.defined() || !t.has_storage() || !t.is_cpu()) return;
  c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  if (!s) return;
  StorageEntry& c = g_storages.at(s);
  if (c.handles++ == 0) {
    c.bytes = static_cast<int64_t>(s->nbytes());
    g_accountedBytes += c.bytes;
    if (c.bytes > 0) reportExternal(c.bytes);
  }
  b->accounted = s;
}

void unaccount(Box* b) {
  if (!b->accounted) return;
  StorageEntry* e = g_storages.find(b->accounted);
  b->accounted = nullptr;
  if (e == nullptr) return;
  if (--e->handles == 0) {
    int64_t bytes = std::min(e->bytes, g_accountedBytes);  // never below zero: V8 aborts on that
    g_accountedBytes -= bytes;
    if (bytes > 0) reportExternal(-bytes);
    g_storages.erase(e);
  }
}

void releaseBox(Box* b) {
  if (b->t.defined()) g_liveHandles--;
  unaccount(b);
  b->t = at::Tensor();
}

// Handles are numbers: generation * 2^24 + slot. A slot table (chunks of 4096 boxes that never
// move, so references into them stay valid as it grows) replaces one heap object and one N-API
// finalizer per tensor, which cost more than the ops themselves on small tensors and, in a
// synchronous loop, were never run. The generation makes a stale handle (used after dispose, or
// after its slot was reused) fail.
constexpr double kSlotSpan = 16777216.0;  // 2^24 slots
constexpr uint32_t kChunkBits = 12;
class SlotTable {
 public:
  size_t size() const { return size_; }
  Box& operator[](uint32_t i) { return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)]; }
  void emplace_back() {
    if ((size_ >> kChunkBits) == chunks_.size()) chunks_.emplace_back(new Box[1u << kChunkBits]);
    size_++;
  }

 private:
  std::vector<std::unique_ptr<Box[]>> chunks_;
  size_t size_ = 0;
};
SlotTable g_slots;
std::vector<uint32_t> g_free;
}  // namespace

thread_local sigjmp_buf* t_fpeJump __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local c10::AutogradState* t_autogradState __attribute__((tls_model("initial-exec"))) = nullptr;

static void onFpe(int sig, siginfo_t*, void*) {
  if (t_fpeJump != nullptr) siglongjmp(*t_fpeJump, 1);
  // Not inside a guarded call (an intra-op worker thread, say): fall back to the default action.
  signal(sig, SIG_DFL);
}

void installSignalGuards() {
  struct sigaction sa {};
  sa.sa_sigaction = onFpe;
  sigemptyset(&sa.sa_mask);
  // NODEFER: the handler leaves by siglongjmp without restoring the mask, so SIGFPE must stay unblocked.
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, nullptr);
}

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  uint32_t i;
  if (!g_free.empty()) {
    i = g_free.back();
    g_free.pop_back();
  } else {
    if (g_slots.size() >= static_cast<size_t>(kSlotSpan)) throw std::runtime_error("more than 16,777,216 live tensors: dispose tensors (tidy, dispose)");
    i = static_cast<uint32_t>(g_slots.size());
    g_slots.emplace_back();
  }
  Box* b = &g_slots[i];
  b->t = std::move(t);
  if (++b->gen >= (1u << 28)) b->gen = 1;
  g_liveHandles++;
  g_createdHandles++;
  account(b);
  return Napi::Number::New(env, static_cast<double>(b->gen) * kSlotSpan + i);
}

// The box of a live or stale handle; nullptr when the value is no handle at all. Decoded with
// integer arithmetic: floor/fmod on doubles showed up at 5% of a small op's time.
static Box* lookupNumber(double d, bool* stale, uint32_t* slot) {
  *stale = false;
  if (!(d >= kSlotSpan && d <= 9007199254740991.0)) return nullptr;
  uint64_t u = static_cast<uint64_t>(d);
  if (static_cast<double>(u) != d) return nullptr;
  uint32_t i = static_cast<uint32_t>(u & 0xFFFFFFu);
  uint32_t gen = static_cast<uint32_t>(u >> 24);
  if (i >= g_slots.size()) return nullptr;
  Box* b = &g_slots[i];
  if (b->gen != gen || !b->t.defined()) *stale = true;
  if (slot != nullptr) *slot = i;
  return b;
}

static Box* lookup(const Napi::Value& v, bool* stale, uint32_t* slot = nullptr) {
  *stale = false;
  // One napi call: it fails on anything that is not a number.
  double d;
  if (v.IsEmpty() || napi_get_value_double(v.Env(), v, &d) != napi_ok) return nullptr;
  return lookupNumber(d, stale, slot);
}

static Box* box(const Napi::Value& v) {
  bool stale;
  Box* b = lookup(v, &stale);
  if (b == nullptr) argFail("a Tensor", v);
  if (stale) throw ArgError("Tensor is disposed: it was freed by dispose() or by the end of its tidy() scope; keep() it to use it later");
  return b;
}

at::Tensor& unwrap(const Napi::Value& v) { return box(v)->t; }

void throwJs(Napi::Env env, const char* kind, const std::string& msg) {
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("kind", Napi::String::New(env, kind));
  err.ThrowAsJavaScriptException();
}

void argFail(const char* expected, const Napi::Value& v) {
  const char* got = v.IsUndefined() ? "undefined" : v.IsNull() ? "null" : v.IsNumber() ? "a number" : v.IsString() ? "a string"
                  : v.IsBoolean() ? "a boolean" : v.IsArray() ? "an array" : v.IsObject() ? "an object" : "a value";
  throw ArgError(std::string("expected ") + expected + ", got " + got);
}

at::Device toDevice(const Napi::Value& v) {
  if (v.IsString()) return at::Device(v.As<Napi::String>().Utf8Value());
  argFail("a device string such as 'cpu' or 'cuda:0'", v);
}

Napi::Value fromScalar(Napi::Env env, const at::Scalar& s) {
  if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
  if (s.isComplex()) return Napi::Number::New(env, s.toComplexDouble().real());
  return Napi::Number::New(env, s.toDouble());
}

// ---- creation from JS data and reading data back ----



// fromBuffer(typedArray, shape[], dtypeCode): copies the bytes into a new CPU tensor.
static Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) argFail("a typed array", info[0]);
    auto ta = info[0].As<Napi::TypedArray>();
    IntList shape = toIntList(info[1]);
    at::ScalarType dt = toDtype(info[2]);
    int64_t n = 1;
    for (int64_t d : shape.v) {
      if (d < 0) throw ArgError("negative dimension in shape");
      n *= d;
    }
    size_t bytes = static_cast<size_t>(n) * c10::elementSize(dt);
    if (ta.ByteLength() != bytes)
      throw ArgError("data has " + std::to_string(ta.ByteLength()) + " bytes but shape and dtype need " + std::to_string(bytes));
    at::Tensor t = at::empty(shape.v, at::TensorOptions().dtype(dt));
    auto* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    if (bytes) std::memcpy(t.data_ptr(), src, bytes);
    return wrap(info.Env(), t);
  });
}

// toBuffer(h): a fresh ArrayBuffer with the tensor's elements, contiguous, copied from any device.
static Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor t = unwrap(info[0]).detach();
    if (!t.is_cpu()) t = t.cpu();
    t = t.contiguous();
    if (t.is_conj()) t = t.resolve_conj();
    size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    auto ab = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
    return ab;
  });
}

static Napi::Value item(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    if (t.numel() != 1)
      throw ArgError("item(): a Tensor with " + std::to_string(t.numel()) + " elements cannot be converted to a number; only one-element tensors can");
    at::Scalar s = t.item();
    if (t.scalar_type() == at::kLong && (s.toLong() > 9007199254740991LL || s.toLong() < -9007199254740991LL))
      return Napi::BigInt::New(info.Env(), s.toLong());
    return fromScalar(info.Env(), s);
  });
}

// Frees the handle's tensor and its slot. Disposing a stale handle (twice, or from the GC safety net
// after an explicit dispose) does nothing, so the slot's new owner is never touched.
static Napi::Value dispose(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    bool stale;
    uint32_t slot = 0;
    Box* b = lookup(info[0], &stale, &slot);
    if (b == nullptr) argFail("a Tensor", info[0]);
    if (!stale) {
      releaseBox(b);
      g_free.push_back(slot);
    }
    return info.Env().Undefined();
  });
}

// disposeMany(handles[]): dispose() for a whole scope in one call (stale handles are skipped).
static Napi::Value disposeMany(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!info[0].IsArray()) argFail("an array of tensors", info[0]);
    auto a = info[0].As<Napi::Array>();
    const uint32_t n = a.Length();
    for (uint32_t k = 0; k < n; k++) {
      bool stale;
      uint32_t slot = 0;
      Box* b = lookup(a.Get(k), &stale, &slot);
      if (b == nullptr || stale) continue;
      releaseBox(b);
      g_free.push_back(slot);
    }
    return info.Env().Undefined();
  });
}

// disposeHandles(float64Array, count): disposeMany() for handles written into a reused typed array
// (what scopes use: reading one array element through napi cost more than freeing a small tensor).
static Napi::Value disposeHandles(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    // One napi call for type, length and data (each Napi::TypedArray accessor makes its own).
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (info[0].IsEmpty() || napi_get_typedarray_info(info.Env(), info[0], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float64_array)
      argFail("a Float64Array of tensor handles", info[0]);
    int64_t count = toInt(info[1]);
    const size_t n = std::min(static_cast<size_t>(std::max<int64_t>(count, 0)), length);
    const double* d = static_cast<const double*>(data);
    for (size_t k = 0; k < n; k++) {
      bool stale;
      uint32_t slot = 0;
      Box* b = lookupNumber(d[k], &stale, &slot);
      if (b == nullptr || stale) continue;
      releaseBox(b);
      g_free.push_back(slot);
    }
    return info.Env().Undefined();
  });
}

static Napi::Value isDisposed(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    bool stale;
    if (lookup(info[0], &stale) == nullptr) argFail("a Tensor", info[0]);
    return Napi::Boolean::New(info.Env(), stale);
  });
}

// ---- metadata ----

static Napi::Value shape(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    auto sizes = t.sizes();
    auto a = Napi::Array::New(info.Env(), sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
    return a;
  });
}

static Napi::Value strides(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    auto st = t.strides();
    auto a = Napi::Array::New(info.Env(), st.size());
    for (size_t i = 0; i < st.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(st[i])));
    return a;
  });
}

// meta(h): [dtypeCode, deviceString, requiresGrad, isLeaf, gradFnName|null, numel, dim]
static Napi::Value meta(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    at::Tensor& t = unwrap(info[0]);
    auto a = Napi::Array::New(env, 7);
    a.Set(0u, Napi::Number::New(env, static_cast<int>(t.scalar_type())));
    a.Set(1u, Napi::String::New(env, t.device().str()));
    a.Set(2u, Napi::Boolean::New(env, t.requires_grad()));
    a.Set(3u, Napi::Boolean::New(env, t.is_leaf()));
    auto fn = t.grad_fn();
    a.Set(4u, fn ? Napi::Value(Napi::String::New(env, fn->name())) : env.Null());
    a.Set(5u, Napi::Number::New(env, static_cast<double>(t.numel())));
    a.Set(6u, Napi::Number::New(env, static_cast<double>(t.dim())));
    return a;
  });
}

static Napi::Value dtypeOf(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<int>(unwrap(info[0]).scalar_type())); });
}
static Napi::Value deviceOf(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), unwrap(info[0]).device().str()); });
}
static Napi::Value isContiguous(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    auto mf = info.Length() > 1 && !isNone(info[1]) ? toMemoryFormat(info[1]) : at::MemoryFormat::Contiguous;
    return Napi::Boolean::New(info.Env(), t.is_contiguous(mf));
  });
}
static Napi::Value storageOffset(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(unwrap(info[0]).storage_offset())); });
}
static Napi::Value sameStorage(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& a = unwrap(info[0]);
    at::Tensor& b = unwrap(info[1]);
    return Napi::Boolean::New(info.Env(), a.has_storage() && b.has_storage() && a.storage().is_alias_of(b.storage()));
  });
}

// to(h, device|null, dtypeCode|null, nonBlocking, copy, memoryFormat|null)
static Napi::Value to(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    at::Device dev = isNone(info[1]) ? t.device() : toDevice(info[1]);
    at::ScalarType dt = isNone(info[2]) ? t.scalar_type() : toDtype(info[2]);
    bool nonBlocking = info.Length() > 3 && toBool(info[3]);
    bool copy = info.Length() > 4 && toBool(info[4]);
    c10::optional<at::MemoryFormat> mf = info.Length() > 5 ? toOptMemoryFormat(info[5]) : c10::nullopt;
    at::Tensor r = t.to(dev, dt, nonBlocking, copy, mf);
    return wrap(info.Env(), r);
  });
}

static Napi::Value pinMemory(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return wrap(info.Env(), unwrap(info[0]).pin_memory()); });
}

// ---- autograd ----

static Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    unwrap(info[0]).set_requires_grad(toBool(info[1]));
    return info.Env().Undefined();
  });
}

static Napi::Value grad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return wrap(info.Env(), unwrap(info[0]).grad()); });
}

static Napi::Value setGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    if (isNone(info[1])) t.mutable_grad() = at::Tensor();
    else t.mutable_grad() = unwrap(info[1]);
    return info.Env().Undefined();
  });
}

static Napi::Value retainGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    unwrap(info[0]).retain_grad();
    return info.Env().Undefined();
  });
}

static Napi::Value retainsGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), unwrap(info[0]).retains_grad()); });
}

// setData(h, src): swaps the tensor's data for src's (PyTorch's `param.data = ...`), keeping the
// tensor's identity, requires_grad and grad, so that modules can move parameters between devices
// and dtypes while optimizers keep their references.
static Napi::Value setData(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    const at::Tensor& src = unwrap(info[1]);
    Box* b = box(info[0]);
    unaccount(b);
    t.set_data(src);
    account(b);
    return info.Env().Undefined();
  });
}

static std::vector<at::Tensor> tensorsOf(const Napi::Value& v) {
  std::vector<at::Tensor> out;
  if (isNone(v)) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    out.push_back(isNone(e) ? at::Tensor() : unwrap(e));
  }
  return out;
}

// backward(tensors[], grads[]|null, retainGraph|null, createGraph, inputs[]|null)
static Napi::Value backward(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto tensors = tensorsOf(info[0]);
    auto grads = tensorsOf(info[1]);
    c10::optional<bool> retain = toOptBool(info[2]);
    bool create = toBool(info[3]);
    auto inputs = tensorsOf(info[4]);
    torch::autograd::backward(tensors, grads, retain, create, inputs);
    return info.Env().Undefined();
  });
}

// grad(outputs[], inputs[], gradOutputs[]|null, retainGraph|null, createGraph, allowUnused)
static Napi::Value autogradGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto outputs = tensorsOf(info[0]);
    auto inputs = tensorsOf(info[1]);
    auto gradOutputs = tensorsOf(info[2]);
    c10::optional<bool> retain = toOptBool(info[3]);
    bool create = toBool(info[4]);
    bool allowUnused = toBool(info[5]);
    auto res = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
    return fromTensors(info.Env(), res);
  });
}

// ---- modes ----

static Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  // noGrad/enableGrad call this twice per scope: a boolean needs no guard (nothing here can throw).
  bool enable;
  if (napi_get_value_bool(info.Env(), info[0], &enable) == napi_ok) {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(enable);
    return Napi::Boolean::New(info.Env(), prev);
  }
  return guard(info, [&]() -> Napi::Value {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(toBool(info[0]));
    return Napi::Boolean::New(info.Env(), prev);
  });
}
static Napi::Value isGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// Inference mode is an RAII guard in libtorch; JS scopes nest strictly, so a stack of guards works.
static std::vector<std::unique_ptr<c10::InferenceMode>> g_inference;
static Napi::Value enterInferenceMode(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    g_inference.push_back(std::make_unique<c10::InferenceMode>(toBool(info[0])));
    return Napi::Number::New(info.Env(), static_cast<double>(g_inference.size()));
  });
}
static Napi::Value exitInferenceMode(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    size_t depth = static_cast<size_t>(toInt(info[0]));
    if (depth != g_inference.size()) throw ArgError("inference-mode scopes must be exited in reverse order of entry");
    g_inference.pop_back();
    return info.Env().Undefined();
  });
}
static Napi::Value isInferenceMode(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}
static Napi::Value isInference(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), unwrap(info[0]).is_inference()); });
}

// Autocast: like Python's torch.autocast, each scope saves the device's state, sets it, and bumps the
// nesting count; leaving restores the state and clears the cast cache when the outermost one ends.
// The pre-2.4 per-device names exist in 1.13 and, deprecated, in 2.x.
struct AutocastFrame {
  bool cuda;
  bool prevEnabled;
  at::ScalarType prevDtype;
  bool prevCache;
};
static std::vector<AutocastFrame> g_autocast;

// enterAutocast(deviceType 'cpu'|'cuda', dtypeCode, enabled, cacheEnabled) -> depth
static Napi::Value enterAutocast(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    std::string dev = toStr(info[0]);
    if (dev != "cpu" && dev != "cuda") throw ArgError("autocast: device type must be 'cpu' or 'cuda'");
    bool cuda = dev == "cuda";
    at::ScalarType dt = toDtype(info[1]);
    if (dt != at::kHalf && dt != at::kBFloat16) throw ArgError("autocast: dtype must be float16 or bfloat16");
    bool enabled = toBool(info[2]);
    bool cache = toBool(info[3]);
    AutocastFrame f{cuda, cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(),
                    cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype(),
                    at::autocast::is_autocast_cache_enabled()};
    g_autocast.push_back(f);
    if (cuda) {
      at::autocast::set_enabled(enabled);
      at::autocast::set_autocast_gpu_dtype(dt);
    } else {
      at::autocast::set_cpu_enabled(enabled);
      at::autocast::set_autocast_cpu_dtype(dt);
    }
    at::autocast::set_autocast_cache_enabled(cache);
    at::autocast::increment_nesting();
    return Napi::Number::New(info.Env(), static_cast<double>(g_autocast.size()));
  });
}

static Napi::Value exitAutocast(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    size_t depth = static_cast<size_t>(toInt(info[0]));
    if (depth != g_autocast.size()) throw ArgError("autocast scopes must be exited in reverse order of entry");
    AutocastFrame f = g_autocast.back();
    g_autocast.pop_back();
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (f.cuda) {
      at::autocast::set_enabled(f.prevEnabled);
      at::autocast::set_autocast_gpu_dtype(f.prevDtype);
    } else {
      at::autocast::set_cpu_enabled(f.prevEnabled);
      at::autocast::set_autocast_cpu_dtype(f.prevDtype);
    }
    at::autocast::set_autocast_cache_enabled(f.prevCache);
    return info.Env().Undefined();
  });
}

static Napi::Value isAutocastEnabled(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    bool cuda = toStr(info[0]) == "cuda";
    return Napi::Boolean::New(info.Env(), cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled());
  });
}

static Napi::Value setAnomalyEnabled(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    bool prev = torch::autograd::AnomalyMode::is_enabled();
    torch::autograd::AnomalyMode::set_enabled(toBool(info[0]));
    return Napi::Boolean::New(info.Env(), prev);
  });
}

// True when a floating tensor holds a NaN or an infinity (anomaly mode checks each op's output).
static Napi::Value hasNonFinite(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrap(info[0]);
    if (!(t.is_floating_point() || t.is_complex()) || t.numel() == 0) return Napi::Boolean::New(info.Env(), false);
    c10::InferenceMode im;
    bool bad = !at::isfinite(t.detach()).all().item<bool>();
    return Napi::Boolean::New(info.Env(), bad);
  });
}

static Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    torch::manual_seed(static_cast<uint64_t>(toInt(info[0])));
    return info.Env().Undefined();
  });
}
static Napi::Value initialSeed(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(at::detail::getDefaultCPUGenerator().current_seed()));
  });
}
// The CPU generator's state as a uint8 tensor, so checkpoints can restore the random stream.
static Napi::Value getRngState(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(info.Env(), gen.get_state());
  });
}
static Napi::Value setRngState(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(unwrap(info[0]));
    return info.Env().Undefined();
  });
}

static Napi::Value setDeterministic(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    at::globalContext().setDeterministicAlgorithms(toBool(info[0]), toBool(info[1]));
    return info.Env().Undefined();
  });
}
static Napi::Value isDeterministic(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().deterministicAlgorithms());
}
static Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    int64_t n = toInt(info[0]);
    if (n < 1) throw ArgError("setNumThreads: the thread count must be at least 1");
    at::set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
}
static Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

static Napi::Value memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("liveTensors", Napi::Number::New(env, static_cast<double>(g_liveHandles)));
  o.Set("createdTensors", Napi::Number::New(env, static_cast<double>(g_createdHandles)));
  o.Set("liveStorages", Napi::Number::New(env, static_cast<double>(g_storages.size())));
  o.Set("cpuBytes", Napi::Number::New(env, static_cast<double>(g_accountedBytes)));
  return o;
}

static Napi::Value version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::to_string(SOUS_TORCH_MAJOR) + "." + std::to_string(SOUS_TORCH_MINOR));
}

static Napi::Value cudaIsAvailable(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); });
}
static Napi::Value cudaDeviceCount(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())); });
}
static Napi::Value cudaSynchronize(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!torch::cuda::is_available()) throw ArgError("torch.cuda.synchronize(): CUDA is not available");
    torch::cuda::synchronize(info.Length() > 0 && !isNone(info[0]) ? toInt(info[0]) : -1);
    return info.Env().Undefined();
  });
}

void registerCore(Napi::Env env, Napi::Object exports) {
  g_env = env;
  installSignalGuards();
  // glibc returns freed blocks above its mmap threshold to the kernel at once, so a loop that makes
  // and frees a 4 MiB tensor page-faults it in every time (4.7 ms per scope against 0.27 ms measured).
  // Keep such blocks in the heap, as a long-running training process wants. SOUS_MALLOPT=0 opts out.
  const char* mo = std::getenv("SOUS_MALLOPT");
  if (mo == nullptr || std::string(mo) != "0") {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  }
  auto def = [&](const char* name, Napi::Function::Callback cb) { exports.Set(name, Napi::Function::New(env, cb, name)); };
  def("fromBuffer", fromBuffer);
  def("toBuffer", toBuffer);
  def("item", item);
  def("dispose", dispose);
  def("disposeMany", disposeMany);
  def("disposeHandles", disposeHandles);
  def("isDisposed", isDisposed);
  def("shape", shape);
  def("strides", strides);
  def("meta", meta);
  def("dtypeOf", dtypeOf);
  def("deviceOf", deviceOf);
  def("isContiguous", isContiguous);
  def("storageOffset", storageOffset);
  def("sameStorage", sameStorage);
  def("to", to);
  def("pinMemory", pinMemory);
  def("setRequiresGrad", setRequiresGrad);
  def("grad", grad);
  def("setGrad", setGrad);
  def("retainGrad", retainGrad);
  def("retainsGrad", retainsGrad);
  def("setData", setData);
  def("enterAutocast", enterAutocast);
  def("exitAutocast", exitAutocast);
  def("isAutocastEnabled", isAutocastEnabled);
  def("backward", backward);
  def("autogradGrad", autogradGrad);
  def("setGradEnabled", setGradEnabled);
  def("isGradEnabled", isGradEnabled);
  def("enterInferenceMode", enterInferenceMode);
  def("exitInferenceMode", exitInferenceMode);
  def("isInferenceMode", isInferenceMode);
  def("isInference", isInference);
  def("setAnomalyEnabled", setAnomalyEnabled);
  def("hasNonFinite", hasNonFinite);
  def("manualSeed", manualSeed);
  def("initialSeed", initialSeed);
  def("getRngState", getRngState);
  def("setRngState", setRngState);
  def("setDeterministic", setDeterministic);
  def("isDeterministic", isDeterministic);
  def("setNumThreads", setNumThreads);
  def("getNumThreads", getNumThreads);
  def("memory", memory);
  def("version", version);
  def("cudaIsAvailable", cudaIsAvailable);
  def("cudaDeviceCount", cudaDeviceCount);
  def("cudaSynchronize", cudaSynchronize);
}

}  // namespace sous
