-- Text -----------------------------------------------------------------------------------------
-- Lists, counts and versions as the hashes store them: text, parsed and formatted as little as
-- possible (a number given to redis.call is formatted on every call).

-- 'name=value,name=value' lists (cooldowns, round-robin turns). Names are ids, which may hold
-- pattern characters ('-', '.'): they are compared as text, never put into a pattern.
local function listed(list, name)
  -- Most lists are absent (a ticket without cooldowns, asked once per push candidate): no
  -- pattern scan for those.
  if not list then return nil end
  for n, v in string.gmatch(list, '([^,=]+)=([^,]*)') do
    if n == name then return v end
  end
  return nil
end

-- The list with `name` set to `value`, dropping the pairs `keep(value)` refuses (nil: keep all).
local function relisted(list, name, value, keep)
  local out = {}
  for n, v in string.gmatch(list or '', '([^,=]+)=([^,]*)') do
    if n ~= name and (not keep or keep(v)) then out[#out + 1] = n .. '=' .. v end
  end
  out[#out + 1] = name .. '=' .. value
  return table.concat(out, ',')
end

local function split(list)
  local out = {}
  if list then
    for item in string.gmatch(list, '[^,]+') do out[#out + 1] = item end
  end
  return out
end

-- A whole number >= 0 as text, formatted once per value for the life of the loaded library (a
-- number given to redis.call is formatted on every call; loads and load ratios repeat).
local count_texts = {}
local function count_text(n)
  local text = count_texts[n]
  if not text then
    text = tostring(n)
    count_texts[n] = text
  end
  return text
end

-- The number a count written by count_text (or any short whole number) stands for, parsed once
-- per text for the life of the loaded library: tonumber on every read costs more than a lookup.
local count_values = {}
local function count_of(text)
  if not text then return nil end
  local n = count_values[text]
  if not n then
    n = tonumber(text)
    if #text <= 6 then count_values[text] = n end
  end
  return n
end
