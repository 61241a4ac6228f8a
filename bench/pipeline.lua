-- wrk script: 16 requests per write (HTTP/1.1 pipelining, TechEmpower plaintext depth).
init = function(args)
    local depth = 16
    local requests = {}
    for i = 1, depth do
        requests[i] = wrk.format("GET", "/")
    end
    pipelined = table.concat(requests)
end

request = function()
    return pipelined
end
