# spore_add_model(<target> <model.py> [TARGET <target>] [CPU <name>]
#                 [OPTIONS <sporec flag>...])
#
# Compiles <model.py> with sporec at build time and makes <target> a static
# library holding the model's object, whose include directory has the
# generated <module>.h and <module>.hpp and which links libspore_runtime.
# <module> is the file's stem with non-identifier characters replaced by `_`
# (as sporec names it). TARGET is sporec's --target (default: cpu); CPU is
# sporec's --cpu, the CPU the object is for (default: the cache variable
# SPORE_CPU, whose default is host: the building machine; name a portable
# one such as x86-64-v3 for objects you ship); OPTIONS are passed to sporec
# as they are (e.g. -O3).
#
# Used both in Spore's own tree and from the installed package: it needs the
# targets Spore::sporec and Spore::spore_runtime.
set(SPORE_CPU "host" CACHE STRING
  "the CPU that spore_add_model compiles models for (sporec --cpu): host or an LLVM CPU name such as x86-64-v3")

function(spore_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "TARGET;CPU" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "spore_add_model: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  if(NOT ARG_CPU)
    set(ARG_CPU "${SPORE_CPU}")
  endif()
  get_filename_component(source "${model}" ABSOLUTE)
  if(NOT EXISTS "${source}")
    message(FATAL_ERROR "spore_add_model: no model file '${source}'")
  endif()

  # The module name, as spore::driver::moduleNameFromPath derives it.
  get_filename_component(module "${source}" NAME_WLE)
  string(REGEX REPLACE "[^A-Za-z0-9]" "_" module "${module}")
  if(module STREQUAL "" OR module MATCHES "^[0-9]")
    set(module "m_${module}")
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/spore_models/${target})
  file(MAKE_DIRECTORY ${dir})
  add_custom_command(
    OUTPUT ${dir}/${module}.o ${dir}/${module}.h ${dir}/${module}.hpp
    COMMAND Spore::sporec ${source} -o ${dir}/${module}.o
            --target=${ARG_TARGET} --cpu=${ARG_CPU} ${ARG_OPTIONS}
    DEPENDS ${source} Spore::sporec
    COMMENT "Compiling ${model} with sporec"
    VERBATIM)

  add_library(${target} STATIC ${dir}/${module}.o ${dir}/${module}.h)
  # An archive of one object needs a linker language; take one the
  # project has enabled.
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST languages)
    set(language C)
  else()
    set(language CXX)
  endif()
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE ${language})
  target_include_directories(${target} PUBLIC ${dir})
  target_link_libraries(${target} PUBLIC Spore::spore_runtime m)
endfunction()
