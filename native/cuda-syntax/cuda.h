// Stand-in for the CUDA driver header (see cuda_runtime_api.h): the version macro libtorch tests.
#pragma once
#define CUDA_VERSION 11080
typedef enum cudaError_enum { CUDA_SUCCESS = 0 } CUresult;
