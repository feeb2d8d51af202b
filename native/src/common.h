// Shared by the hand-written core and the generated op entry points: tensor handles, the error guard
// and the conversions from JS values to the argument types of libtorch's operator entry points.
#pragma once

#include <napi.h>
#include <ATen/core/Tensor.h>
#include <ATen/core/List.h>
#include <ATen/core/IListRef.h>
#include <c10/core/Scalar.h>
#include <c10/core/SymInt.h>
#include <c10/util/Exception.h>
#include <c10/util/OptionalArrayRef.h>

#include <c10/core/AutogradState.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include <array>
#include <csetjmp>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace sous {

// One JS handle owns one at::Tensor by value. dispose() resets it; the finalizer deletes the box.
struct Box {
  at::Tensor t;
  c10::StorageImpl* accounted = nullptr;  // storage counted in V8's external memory, if any
  uint32_t gen = 0;                       // bumped each time the slot gets a new tensor
};

// Creates the JS handle (a number naming a slot) for a tensor; undefined tensors become null.
Napi::Value wrap(Napi::Env env, at::Tensor t);
// Tensor of a handle; throws when the value is no handle or the tensor was disposed.
at::Tensor& unwrap(const Napi::Value& v);

// Raised for bad JS arguments that reach native code; surfaces as a TorchError of kind TypeError.
struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Turns every C++ exception into a JS exception carrying `kind`, so that nothing a user passes can
// terminate the process.
void throwJs(Napi::Env env, const char* kind, const std::string& msg);

// Some libtorch kernels divide by a user-given integer without checking it (channel_shuffle with
// groups=0, slow_conv3d, ...): SIGFPE would end the process. While a native call runs, the SIGFPE
// handler jumps back to its guard, which restores the thread-local autograd and dispatch state that
// the skipped destructors would have restored, and throws a JS error instead. Memory held by the
// abandoned frames leaks; the process lives.
// initial-exec: a direct thread-pointer access instead of a __tls_get_addr call on every guard.
extern thread_local sigjmp_buf* t_fpeJump __attribute__((tls_model("initial-exec")));
void installSignalGuards();

// This thread's autograd state, whose address get_tls_state() returns: looked up once per thread
// instead of by a call into libc10 on every guarded call.
extern thread_local c10::AutogradState* t_autogradState __attribute__((tls_model("initial-exec")));
inline const c10::AutogradState& autogradTls() {
  c10::AutogradState* p = t_autogradState;
  if (p == nullptr) p = t_autogradState = &c10::AutogradState::get_tls_state();
  return *p;
}

struct TlsSnapshot {
  c10::impl::LocalDispatchKeySet keys = c10::impl::tls_local_dispatch_key_set();
  c10::AutogradState autograd = autogradTls();
  void restore() const {
    c10::impl::_force_tls_local_dispatch_key_set(keys);
    c10::AutogradState::set_tls_state(autograd);
  }
};

template <typename F>
Napi::Value guard(const Napi::CallbackInfo& info, F&& f) {
  Napi::Env env = info.Env();
  sigjmp_buf jump;
  sigjmp_buf* const outer = t_fpeJump;
  const TlsSnapshot tls;
  if (sigsetjmp(jump, 0) != 0) {
    t_fpeJump = outer;
    tls.restore();
    throwJs(env, "ArithmeticError",
            "libtorch hit an integer division by zero (SIGFPE): an integer argument that must be positive "
            "(groups, a size, a stride) was 0");
    return env.Undefined();
  }
  t_fpeJump = &jump;
  struct Reset {
    sigjmp_buf* outer;
    ~Reset() { t_fpeJump = outer; }
  } reset{outer};
  try {
    return f();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const ArgError& e) {
    throwJs(env, "TypeError", e.what());
  } catch (const c10::OutOfMemoryError& e) {
    throwJs(env, "OutOfMemoryError", e.what_without_backtrace());
  } catch (const c10::IndexError& e) {
    throwJs(env, "IndexError", e.what_without_backtrace());
  } catch (const c10::TypeError& e) {
    throwJs(env, "TypeError", e.what_without_backtrace());
  } catch (const c10::ValueError& e) {
    throwJs(env, "ValueError", e.what_without_backtrace());
  } catch (const c10::NotImplementedError& e) {
    throwJs(env, "NotImplementedError", e.what_without_backtrace());
  } catch (const c10::LinAlgError& e) {
    throwJs(env, "LinAlgError", e.what_without_backtrace());
  } catch (const c10::Error& e) {
    throwJs(env, "Error", e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throwJs(env, "OutOfMemoryError", "out of host memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    // libtorch 1.13 throws plain std::runtime_error for some shape errors (InferSize.h).
    throwJs(env, "Error", e.what());
  } catch (...) {
    throwJs(env, "Error", "unknown C++ exception");
  }
  return env.Undefined();
}

// ---- argument conversions (JS value -> holder that converts to the entry point's C++ type) ----

[[noreturn]] void argFail(const char* expected, const Napi::Value& v);

// The conversions below try the expected type first with one napi call (which fails on any other
// type) instead of a type check and then a read: two calls per argument showed in small ops.
inline bool isNone(const Napi::Value& v) {
  if (v.IsEmpty()) return false;
  napi_valuetype t;
  if (napi_typeof(v.Env(), v, &t) != napi_ok) return false;
  return t == napi_null || t == napi_undefined;
}

inline bool getDouble(const Napi::Value& v, double* d) { return !v.IsEmpty() && napi_get_value_double(v.Env(), v, d) == napi_ok; }
inline bool getBool(const Napi::Value& v, bool* b) { return !v.IsEmpty() && napi_get_value_bool(v.Env(), v, b) == napi_ok; }

inline int64_t toInt(const Napi::Value& v) {
  double d;
  if (getDouble(v, &d)) {
    if (d != static_cast<double>(static_cast<int64_t>(d))) argFail("an integer", v);
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  argFail("an integer", v);
}

inline double toDouble(const Napi::Value& v) {
  double d;
  if (getDouble(v, &d)) return d;
  if (v.IsBigInt()) {
    bool lossless = true;
    return static_cast<double>(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  argFail("a number", v);
}

inline bool toBool(const Napi::Value& v) {
  bool b;
  if (getBool(v, &b)) return b;
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue() != 0;
  argFail("a boolean", v);
}

// JS has one number type: integral values become int64 Scalars, others double (documented rule).
inline at::Scalar toScalar(const Napi::Value& v) {
  double d;
  if (getDouble(v, &d)) {
    if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9007199254740992.0)
      return at::Scalar(static_cast<int64_t>(d));
    return at::Scalar(d);
  }
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) {
    bool lossless = true;
    return at::Scalar(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  if (v.IsObject() && v.As<Napi::Object>().Has("float")) {
    // {float: 2} forces a floating Scalar for integral values.
    return at::Scalar(v.As<Napi::Object>().Get("float").As<Napi::Number>().DoubleValue());
  }
  argFail("a number or boolean", v);
}

inline c10::optional<at::Scalar> toOptScalar(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toScalar(v);
}

// int?: converts to optional<int64_t> and, for 2.x's `correction`, to optional<Scalar>.
struct OptInt {
  c10::optional<int64_t> v;
  operator c10::optional<int64_t>() const { return v; }
  operator c10::optional<at::Scalar>() const {
    if (v) return at::Scalar(*v);
    return c10::nullopt;
  }
  operator c10::optional<c10::SymInt>() const {
    if (v) return c10::SymInt(*v);
    return c10::nullopt;
  }
};
inline OptInt toOptInt(const Napi::Value& v) {
  if (isNone(v)) return OptInt{c10::nullopt};
  return OptInt{toInt(v)};
}

inline c10::optional<double> toOptDouble(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toDouble(v);
}
inline c10::optional<bool> toOptBool(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toBool(v);
}

// int[] / SymInt[]: IntArrayRef in 1.13's at:: functions, SymIntArrayRef in the operator entry points.
struct IntList {
  std::vector<int64_t> v;
  mutable std::vector<c10::SymInt> sym;
  operator at::IntArrayRef() const { return v; }
  operator c10::SymIntArrayRef() const {
    sym.assign(v.begin(), v.end());
    return sym;
  }
  operator at::OptionalIntArrayRef() const { return at::OptionalIntArrayRef(at::IntArrayRef(v)); }
};
inline IntList toIntList(const Napi::Value& v) {
  IntList out;
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    uint32_t n = a.Length();
    out.v.reserve(n);
    for (uint32_t i = 0; i < n; i++) out.v.push_back(toInt(a.Get(i)));
  } else {
    out.v.push_back(toInt(v));
  }
  return out;
}

// int[N]: one value is repeated N times (kernel_size=3 means 3x3), other lengths are an error.
template <size_t N, bool AllowEmpty>
IntList toIntListN(const Napi::Value& v) {
  IntList out = toIntList(v);
  if (AllowEmpty && out.v.empty()) return out;  // the schema default [] means "derived" (pooling stride = kernel size)
  if (out.v.size() == 1 && N > 1) out.v.assign(N, out.v[0]);
  if (out.v.size() != N)
    throw ArgError("expected " + std::to_string(N) + " integers (or one, repeated), got " + std::to_string(out.v.size()));
  return out;
}

struct OptIntList {
  bool has = false;
  IntList list;
  operator at::OptionalIntArrayRef() const {
    if (!has) return c10::nullopt;
    return at::OptionalIntArrayRef(at::IntArrayRef(list.v));
  }
  operator c10::optional<at::IntArrayRef>() const {
    if (!has) return c10::nullopt;
    return at::IntArrayRef(list.v);
  }
  operator at::OptionalSymIntArrayRef() const {
    if (!has) return c10::nullopt;
    return at::OptionalSymIntArrayRef(static_cast<c10::SymIntArrayRef>(list));
  }
};
inline OptIntList toOptIntList(const Napi::Value& v) {
  OptIntList out;
  if (isNone(v)) return out;
  out.has = true;
  out.list = toIntList(v);
  return out;
}

template <size_t N, bool AllowEmpty>
OptIntList toIntListOptN(const Napi::Value& v) {
  OptIntList out;
  if (isNone(v)) return out;
  out.has = true;
  out.list = toIntListN<N, AllowEmpty>(v);
  return out;
}

struct OptDoubleList {
  bool has = false;
  std::vector<double> v;
  operator c10::optional<at::ArrayRef<double>>() const {
    if (!has) return c10::nullopt;
    return at::ArrayRef<double>(v);
  }
#if SOUS_TORCH_MAJOR >= 2
  operator c10::OptionalArrayRef<double>() const {
    if (!has) return c10::nullopt;
    return c10::OptionalArrayRef<double>(v);
  }
#endif
};
inline OptDoubleList toOptDoubleList(const Napi::Value& v) {
  OptDoubleList out;
  if (isNone(v)) return out;
  out.has = true;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.v.push_back(toDouble(a.Get(i)));
  return out;
}

template <size_t N>
std::array<bool, N> toBoolArray(const Napi::Value& v) {
  std::array<bool, N> out{};
  if (!v.IsArray()) argFail("an array of booleans", v);
  auto a = v.As<Napi::Array>();
  if (a.Length() != N) throw ArgError("expected an array of " + std::to_string(N) + " booleans");
  for (size_t i = 0; i < N; i++) out[i] = toBool(a.Get(static_cast<uint32_t>(i)));
  return out;
}

inline std::string toStr(const Napi::Value& v) {
  if (!v.IsString()) argFail("a string", v);
  return v.As<Napi::String>().Utf8Value();
}
struct OptStr {
  bool has = false;
  std::string s;
  operator c10::optional<c10::string_view>() const {
    if (!has) return c10::nullopt;
    return c10::string_view(s);
  }
};
inline OptStr toOptStr(const Napi::Value& v) {
  OptStr o;
  if (isNone(v)) return o;
  o.has = true;
  o.s = toStr(v);
  return o;
}

inline at::ScalarType toDtype(const Napi::Value& v) {
  int64_t i = toInt(v);
  if (i < 0 || i >= static_cast<int64_t>(at::ScalarType::NumOptions)) throw ArgError("unknown dtype code " + std::to_string(i));
  return static_cast<at::ScalarType>(i);
}
inline c10::optional<at::ScalarType> toOptDtype(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toDtype(v);
}
inline c10::optional<at::Layout> toOptLayout(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return static_cast<at::Layout>(toInt(v));
}
inline at::MemoryFormat toMemoryFormat(const Napi::Value& v) { return static_cast<at::MemoryFormat>(toInt(v)); }
inline c10::optional<at::MemoryFormat> toOptMemoryFormat(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toMemoryFormat(v);
}
at::Device toDevice(const Napi::Value& v);
inline c10::optional<at::Device> toOptDevice(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return toDevice(v);
}
// Generators are not exposed yet: the default generator (seeded by manualSeed) is always used.
inline c10::optional<at::Generator> toOptGenerator(const Napi::Value& v) {
  if (!isNone(v)) throw ArgError("explicit generators are not supported yet; pass null and seed with torch.manualSeed");
  return c10::nullopt;
}

inline c10::optional<at::Tensor> toOptTensor(const Napi::Value& v) {
  if (isNone(v)) return c10::nullopt;
  return unwrap(v);
}

struct TensorVec {
  std::vector<at::Tensor> v;
  operator at::TensorList() const { return v; }
  operator at::ITensorListRef() const { return at::ITensorListRef(at::TensorList(v)); }
};
inline TensorVec toTensorList(const Napi::Value& v) {
  if (!v.IsArray()) argFail("an array of tensors", v);
  auto a = v.As<Napi::Array>();
  TensorVec out;
  out.v.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.v.push_back(unwrap(a.Get(i)));
  return out;
}
inline c10::List<c10::optional<at::Tensor>> toOptTensorList(const Napi::Value& v) {
  if (!v.IsArray()) argFail("an array of tensors or nulls", v);
  auto a = v.As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (isNone(e)) out.push_back(c10::nullopt);
    else out.push_back(unwrap(e));
  }
  return out;
}

// ---- result conversions ----
inline Napi::Value fromTensor(Napi::Env env, const at::Tensor& t) { return wrap(env, t); }
inline Napi::Value fromTensors(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(static_cast<uint32_t>(i), wrap(env, ts[i]));
  return a;
}
Napi::Value fromScalar(Napi::Env env, const at::Scalar& s);
inline Napi::Value fromInt(Napi::Env env, int64_t i) { return Napi::Number::New(env, static_cast<double>(i)); }
inline Napi::Value fromSymInt(Napi::Env env, const c10::SymInt& i) { return Napi::Number::New(env, static_cast<double>(i.expect_int())); }
inline Napi::Value fromDouble(Napi::Env env, double d) { return Napi::Number::New(env, d); }
inline Napi::Value fromBool(Napi::Env env, bool b) { return Napi::Boolean::New(env, b); }
inline Napi::Value fromDtype(Napi::Env env, at::ScalarType t) { return Napi::Number::New(env, static_cast<int>(t)); }

}  // namespace sous
