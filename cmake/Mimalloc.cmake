# s2t_link_mimalloc(TARGET): TARGET allocates with mimalloc (libmimalloc-dev),
# which replaces malloc and free for the whole process, LibTorch's graphs
# included. Linked even though nothing calls it by name (--no-as-needed),
# ahead of libc, and after libstdc++: the C++ runtime's operator new (on
# mimalloc's malloc) is the one bound, since mimalloc's own aborts where it
# cannot allocate, and s2t-opt reports that as one line
# (test/tools/out-of-memory.test). Used by s2t-opt (CMakeLists.txt) and by
# the benchmark's floor (bench/CMakeLists.txt), which must allocate alike.
function(s2t_link_mimalloc target)
  find_package(mimalloc CONFIG REQUIRED)
  target_link_libraries(${target} PRIVATE
    -Wl,--push-state,--no-as-needed -lstdc++ mimalloc -Wl,--pop-state)
endfunction()
