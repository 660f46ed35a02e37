# powner -c DUMP without a vmlinux, on a kernel whose VMCOREINFO does not locate kallsyms:
# exit status 6 and one line that says -s is needed.
execute_process(COMMAND ${POWNER} -c ${DUMP} RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(NOT status EQUAL 6 OR NOT lines EQUAL 1 OR NOT err MATCHES "^powner: .*give the vmlinux with -s"
   OR NOT out STREQUAL "")
  message(FATAL_ERROR "expected exit 6 and one line asking for -s, got ${status}: ${err}")
endif()
message(STATUS "refused as expected: ${err}")
