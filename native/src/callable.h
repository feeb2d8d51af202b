// Compile-time checks that let one generated tree build against several libtorch versions: an
// overload that a libtorch lacks, or declares with other parameter types, becomes a stub throwing
// NotAvailable instead of a compile error.
#pragma once

#include <type_traits>
#include <utility>

#include "common.h"

namespace sous {

template <typename T, typename = void>
struct isComplete : std::false_type {};
template <typename T>
struct isComplete<T, std::void_t<decltype(sizeof(T))>> : std::true_type {};

template <typename Op, typename Sig, typename = void>
struct can_call : std::false_type {};
template <typename Op, typename... A>
struct can_call<Op, void(A...), std::void_t<decltype(Op::call(std::declval<A>()...))>> : std::true_type {};

struct NotAvailable : std::runtime_error {
  explicit NotAvailable(const std::string& key)
      : std::runtime_error("aten::" + key + " is not available in the libtorch Sous was built against (torch " +
                           std::to_string(SOUS_TORCH_MAJOR) + "." + std::to_string(SOUS_TORCH_MINOR) + ")") {}
};

struct StrArg {
  std::string s;
  operator c10::string_view() const { return c10::string_view(s); }
  operator std::string() const { return s; }
};
inline StrArg toStrArg(const Napi::Value& v) { return StrArg{toStr(v)}; }

struct ScalarVec {
  std::vector<at::Scalar> v;
  operator at::ArrayRef<at::Scalar>() const { return v; }
};
inline ScalarVec toScalarList(const Napi::Value& v) {
  if (!v.IsArray()) argFail("an array of numbers", v);
  auto a = v.As<Napi::Array>();
  ScalarVec out;
  for (uint32_t i = 0; i < a.Length(); i++) out.v.push_back(toScalar(a.Get(i)));
  return out;
}
struct DoubleVec {
  std::vector<double> v;
  operator at::ArrayRef<double>() const { return v; }
};
inline DoubleVec toDoubleList(const Napi::Value& v) {
  if (!v.IsArray()) argFail("an array of numbers", v);
  auto a = v.As<Napi::Array>();
  DoubleVec out;
  for (uint32_t i = 0; i < a.Length(); i++) out.v.push_back(toDouble(a.Get(i)));
  return out;
}

// Results, whatever C++ type a given libtorch returns them as.
inline Napi::Value toJs(Napi::Env env, const at::Tensor& t) { return wrap(env, t); }
// An op's fresh result moves into its handle: copying it cost an atomic increment and decrement.
inline Napi::Value toJs(Napi::Env env, at::Tensor&& t) { return wrap(env, std::move(t)); }
inline Napi::Value toJs(Napi::Env env, const std::vector<at::Tensor>& v) { return fromTensors(env, v); }
inline Napi::Value toJs(Napi::Env env, bool b) { return Napi::Boolean::New(env, b); }
inline Napi::Value toJs(Napi::Env env, int64_t i) { return Napi::Number::New(env, static_cast<double>(i)); }
inline Napi::Value toJs(Napi::Env env, double d) { return Napi::Number::New(env, d); }
inline Napi::Value toJs(Napi::Env env, const at::Scalar& s) { return fromScalar(env, s); }
inline Napi::Value toJs(Napi::Env env, at::ScalarType t) { return fromDtype(env, t); }
inline Napi::Value toJs(Napi::Env env, const c10::SymInt& i) { return fromSymInt(env, i); }
template <typename... T, size_t... I>
Napi::Value tupleToJs(Napi::Env env, const std::tuple<T...>& t, std::index_sequence<I...>) {
  auto a = Napi::Array::New(env, sizeof...(T));
  (a.Set(static_cast<uint32_t>(I), toJs(env, std::get<I>(t))), ...);
  return a;
}
template <typename... T>
Napi::Value toJs(Napi::Env env, const std::tuple<T...>& t) {
  return tupleToJs(env, t, std::index_sequence_for<T...>{});
}

}  // namespace sous
