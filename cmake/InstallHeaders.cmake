# Installs the public header include/s2t/s2t.h and every project header it
# includes, directly or not, into PREFIX/<includedir>/s2t (cmake/Install.cmake
# runs this script at install time). No header is listed by hand: the
# "quoted" includes are followed from s2t.h, each resolved as the compiler
# does in the build tree (the includer's folder, then the source root, then
# include/), so a header that moves between folders, or a new one s2t.h comes
# to include, is installed where it is. A header of the source root (today
# ir/Error.h) goes to s2t/<its path> (s2t/ir/Error.h), one of include/s2t to
# s2t/<path below it>; includes of other files (<torch/...>, <string>) stay.
# The installed copies include each other by paths relative to themselves,
# so a consumer needs only PREFIX/<includedir> on its include path.
#
# Set by the caller: S2T_SOURCE_DIR, S2T_BINARY_DIR (the staged copies go to
# its install-headers/), S2T_HEADER_DESTINATION (include/s2t: relative to the
# prefix, or absolute).

set(_src ${S2T_SOURCE_DIR})
set(_stage ${S2T_BINARY_DIR}/install-headers)
set(_destination ${S2T_HEADER_DESTINATION})
if(NOT IS_ABSOLUTE ${_destination})
  set(_destination ${CMAKE_INSTALL_PREFIX}/${_destination})
endif()

# Where SOURCE (absolute) goes, relative to S2T_HEADER_DESTINATION.
function(_s2t_installed_name source out)
  file(RELATIVE_PATH below_public ${_src}/include/s2t ${source})
  if(NOT below_public MATCHES "^\\.\\./")
    set(${out} ${below_public} PARENT_SCOPE)
  else()
    file(RELATIVE_PATH below_root ${_src} ${source})
    set(${out} ${below_root} PARENT_SCOPE)
  endif()
endfunction()

set(_queue ${_src}/include/s2t/s2t.h)
set(_done "")
while(_queue)
  list(POP_FRONT _queue _header)
  list(FIND _done ${_header} _seen)
  if(NOT _seen EQUAL -1)
    continue()
  endif()
  list(APPEND _done ${_header})
  _s2t_installed_name(${_header} _name)
  get_filename_component(_name_dir ${_name} DIRECTORY)
  get_filename_component(_header_dir ${_header} DIRECTORY)

  file(READ ${_header} _text)
  string(REGEX MATCHALL "(^|\n)[ \t]*#[ \t]*include[ \t]*\"[^\"\n]+\"" _includes "${_text}")
  foreach(_line IN LISTS _includes)
    string(REGEX REPLACE ".*\"([^\"]+)\"" "\\1" _included "${_line}")
    set(_found "")
    foreach(_dir IN ITEMS ${_header_dir} ${_src} ${_src}/include)
      if(EXISTS ${_dir}/${_included} AND NOT IS_DIRECTORY ${_dir}/${_included})
        get_filename_component(_found ${_dir}/${_included} ABSOLUTE)
        break()
      endif()
    endforeach()
    if(NOT _found)
      continue()
    endif()
    string(FIND "${_found}" "${_src}/" _at)
    if(NOT _at EQUAL 0)
      message(FATAL_ERROR "${_header} includes \"${_included}\" from outside the source tree")
    endif()
    list(APPEND _queue ${_found})
    # The include, as the installed copy must spell it.
    _s2t_installed_name(${_found} _found_name)
    file(RELATIVE_PATH _relative /s2t/${_name_dir} /s2t/${_found_name})
    if(NOT _relative STREQUAL _included)
      string(REPLACE "\"${_included}\"" "\"${_relative}\"" _new_line "${_line}")
      string(REPLACE "${_line}" "${_new_line}" _text "${_text}")
    endif()
  endforeach()

  # A staged copy, rewritten only when it changes (file(INSTALL) compares
  # times), then installed like any other file.
  set(_copy ${_stage}/${_name})
  set(_old "")
  if(EXISTS ${_copy})
    file(READ ${_copy} _old)
  endif()
  if(NOT _old STREQUAL _text)
    file(WRITE ${_copy} "${_text}")
  endif()
  set(_to ${_destination})
  if(_name_dir)
    string(APPEND _to /${_name_dir})
  endif()
  file(INSTALL ${_copy} DESTINATION ${_to}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endwhile()
