-- A stand-in for the Inter-Hub IHP application: it answers on port 8000.
module Main (main) where

main :: IO ()
main = putStrLn "Inter-Hub sample app v1 listening on port 8000"
