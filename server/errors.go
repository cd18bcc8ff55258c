package server

import (
	"fmt"
	"net/http"
)

// apiError is an error that reaches the client in DeepSeek's (and OpenAI's)
// shape: {"error": {"message", "type", "param", "code"}} with an HTTP status.
type apiError struct {
	Status  int
	Message string
	Type    string // invalid_request_error, authentication_error, ...
	Param   string // the offending field, "" for none
	Code    string // machine-readable code, "" for none
}

func (e *apiError) Error() string { return e.Message }

// Error types, as DeepSeek and OpenAI name them.
const (
	typeInvalidRequest = "invalid_request_error"
	typeAuthentication = "authentication_error"
	typeNotFound       = "not_found_error"
	typeRateLimit      = "rate_limit_error"
	typeServer         = "server_error"
	typeOverloaded     = "service_unavailable_error"
)

// badRequest is a 400: malformed JSON, a field of the wrong type, or a
// request DeepSeek's rules refuse.
func badRequest(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Type: typeInvalidRequest, Param: param, Code: "invalid_request_error"}
}

// invalidValue is a 422: a well-formed field whose value is out of range.
func invalidValue(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf(format, args...), Type: typeInvalidRequest, Param: param, Code: "invalid_value"}
}

func notFound(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...), Type: typeInvalidRequest, Param: param, Code: "model_not_found"}
}

func serverError(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Message: fmt.Sprintf(format, args...), Type: typeServer, Code: "server_error"}
}

// errorBody is the JSON body of an error response (and of the error event
// that ends a stream that fails after it started).
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) body() errorBody {
	d := errorDetail{Message: e.Message, Type: e.Type}
	if e.Param != "" {
		d.Param = &e.Param
	}
	if e.Code != "" {
		d.Code = &e.Code
	}
	return errorBody{Error: d}
}

// writeError sends e as the whole response in DeepSeek's (OpenAI's) shape.
func writeError(w http.ResponseWriter, e *apiError) { openAIFront().writeError(w, e) }
