# Checks that the shared library LIBRARY exports exactly the runtime's C API
# (plus the MLIR support symbols the runtime provides) and needs no LLVM or
# MLIR library. Run with cmake -P; NM and READELF name the tools.
set(expected_exports
  memrefCopy
  onebit_check_signature
  onebit_free_outputs
  onebit_input_info
  onebit_num_inputs
  onebit_num_outputs
  onebit_num_threads
  onebit_output_info
  onebit_run
  onebit_status_free
  onebit_status_message
)

execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY}
  OUTPUT_VARIABLE nm_output RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIBRARY}")
endif()
string(REPLACE "\n" ";" nm_lines "${nm_output}")
set(exports)
foreach(line IN LISTS nm_lines)
  # "<address> <type> <name>"
  if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] ([^ ]+)$")
    list(APPEND exports ${CMAKE_MATCH_1})
  endif()
endforeach()
list(SORT exports)
if(NOT exports STREQUAL expected_exports)
  string(REPLACE ";" " " got "${exports}")
  string(REPLACE ";" " " want "${expected_exports}")
  message(FATAL_ERROR "${LIBRARY} exports\n  ${got}\nexpected\n  ${want}")
endif()

execute_process(COMMAND ${READELF} -d ${LIBRARY}
  OUTPUT_VARIABLE readelf_output RESULT_VARIABLE readelf_result)
if(NOT readelf_result EQUAL 0)
  message(FATAL_ERROR "${READELF} failed on ${LIBRARY}")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${readelf_output}")
foreach(entry IN LISTS needed)
  if(entry MATCHES "LLVM|MLIR|mlir")
    message(FATAL_ERROR "${LIBRARY} depends on ${entry}")
  endif()
endforeach()
message(STATUS "${LIBRARY}: exports ok; needs ${needed}")
