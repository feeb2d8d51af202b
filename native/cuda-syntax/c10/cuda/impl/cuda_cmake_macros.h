// Stand-in for the header CMake generates in a CUDA build of libtorch (see ../../../README.md).
#pragma once
