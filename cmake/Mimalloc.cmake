# s2t_link_mimalloc(TARGET): TARGET allocates with mimalloc 2 (libmimalloc-dev
# of Debian 12), which replaces malloc and free for the whole process,
# LibTorch's graphs included. Linked even though nothing calls it by name
# (--no-as-needed), ahead of libc, and after libstdc++: the C++ runtime's
# operator new (on mimalloc's malloc) is the one bound, since mimalloc's own
# aborts where it cannot allocate, and s2t-opt reports that as one line
# (test/tools/out-of-memory.test). Used by s2t-opt (CMakeLists.txt) and by
# the benchmark's floor (bench/CMakeLists.txt), which must allocate alike;
# both get the settings of tools/allocator/MimallocOptions.cpp (large OS
# pages).
#
# Not mimalloc 3 (Debian 13's 3.0.1): its malloc returned null for 104 bytes
# with gigabytes free, deterministically, in torch's alias analysis at the end
# of a tacotron2 conversion, where glibc's malloc, tcmalloc and tcmalloc's
# debug allocator (which checks every block's bounds and poisons freed
# memory) ran the same conversion through, and valgrind and AddressSanitizer
# found no heap error in it (bench/profile.md). With it, TARGET keeps
# glibc's malloc.
set(S2T_MIMALLOC_OPTIONS
    ${CMAKE_CURRENT_LIST_DIR}/../tools/allocator/MimallocOptions.cpp)

function(s2t_link_mimalloc target)
  find_package(mimalloc 2.0 CONFIG QUIET)
  if(NOT mimalloc_FOUND)
    message(STATUS "${target}: glibc's malloc (mimalloc 2 not found; "
                   "mimalloc 3.0 is not used, cmake/Mimalloc.cmake)")
    return()
  endif()
  target_sources(${target} PRIVATE ${S2T_MIMALLOC_OPTIONS})
  # For what depends on mimalloc keeping freed memory (tools/allocator).
  target_compile_definitions(${target} PRIVATE S2T_LINKS_MIMALLOC)
  target_link_libraries(${target} PRIVATE
    -Wl,--push-state,--no-as-needed -lstdc++ mimalloc -Wl,--pop-state)
endfunction()
