# s2t_link_allocator(TARGET): TARGET allocates with mimalloc 2 (Debian 12's
# libmimalloc-dev) or, without it, with tcmalloc (gperftools' tcmalloc_minimal,
# Debian 13's libgoogle-perftools-dev), either of which replaces malloc and
# free for the whole process, LibTorch's graphs included: the pass builds the
# flat graph a node, a value and a use at a time, and glibc's malloc is ~30%
# slower at it (bench/profile.md). Linked even though nothing calls it by name
# (--no-as-needed), ahead of libc, and after libstdc++: the C++ runtime's
# operator new is the one bound where mimalloc's own would abort instead of
# throwing, and s2t-opt reports a failed allocation as one line
# (test/tools/out-of-memory.test). Used by s2t-opt (CMakeLists.txt) and by
# the benchmark's floor (bench/CMakeLists.txt), which must allocate alike.
#
# Not mimalloc 3 (Debian 13's 3.0.1): its malloc returned null for 104 bytes
# with gigabytes free, deterministically, in torch's alias analysis at the end
# of a tacotron2 conversion, where glibc's malloc, tcmalloc and tcmalloc's
# debug allocator (which checks every block's bounds and poisons freed
# memory) ran the same conversion through, and valgrind and AddressSanitizer
# found no heap error in it (bench/profile.md). With neither, TARGET keeps
# glibc's malloc.
function(s2t_link_allocator target)
  find_package(mimalloc 2.0 CONFIG QUIET)
  if(mimalloc_FOUND)
    set(allocator mimalloc)
  else()
    find_library(S2T_TCMALLOC_LIBRARY tcmalloc_minimal)
    if(NOT S2T_TCMALLOC_LIBRARY)
      message(STATUS "${target}: glibc's malloc (neither mimalloc 2 nor "
                     "tcmalloc_minimal found; cmake/Allocator.cmake)")
      return()
    endif()
    set(allocator ${S2T_TCMALLOC_LIBRARY})
  endif()
  target_link_libraries(${target} PRIVATE
    -Wl,--push-state,--no-as-needed -lstdc++ ${allocator} -Wl,--pop-state)
endfunction()
